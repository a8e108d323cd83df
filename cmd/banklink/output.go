package main

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// object is a JSON object whose fields keep the order they were encoded in,
// for the few results the CLI reshapes before printing.
type object []field

type field struct {
	key string
	val json.RawMessage
}

// toObject encodes v, which must encode as a JSON object, field by field.
func toObject(v any) (object, error) {
	raw, err := marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("output: %T does not encode as a JSON object", v)
	}
	var o object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, err
		}
		o = append(o, field{key: tok.(string), val: val})
	}
	return o, nil
}

// marshal encodes v without escaping &, < and >.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func (o object) get(key string) (json.RawMessage, bool) {
	for _, f := range o {
		if f.key == key {
			return f.val, true
		}
	}
	return nil, false
}

// without drops a field.
func (o object) without(key string) object {
	out := make(object, 0, len(o))
	for _, f := range o {
		if f.key != key {
			out = append(out, f)
		}
	}
	return out
}

// renamed renames a field in place.
func (o object) renamed(from, to string) object {
	out := append(object(nil), o...)
	for i := range out {
		if out[i].key == from {
			out[i].key = to
		}
	}
	return out
}

// set replaces a field's value.
func (o object) set(key string, val json.RawMessage) object {
	out := append(object(nil), o...)
	for i := range out {
		if out[i].key == key {
			out[i].val = val
		}
	}
	return out
}

// MarshalJSON writes the fields in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(f.key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(f.val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// linkView is a MoneyKit link as the CLI prints it: the deprecated tags
// field is left out when it repeats link_tags, so one list sent shows as one
// list.
func linkView(link any) (object, error) {
	o, err := toObject(link)
	if err != nil {
		return nil, err
	}
	lt, ok1 := o.get("link_tags")
	t, ok2 := o.get("tags")
	if ok1 && ok2 && bytes.Equal(compact(lt), compact(t)) {
		o = o.without("tags")
	}
	return o, nil
}

// refundView is a Link Money refund as the CLI prints it: the spec's
// paymentId of a refund is the refund's own id, printed as refundId so it
// is not taken for the refunded payment's.
func refundView(refund any) (object, error) {
	o, err := toObject(refund)
	if err != nil {
		return nil, err
	}
	return o.renamed("paymentId", "refundId"), nil
}

func compact(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}
