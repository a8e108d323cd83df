package transport

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type presentItem struct {
	ID   string `json:"id"`
	Note string `json:"note,omitempty"`
}

type presentBody struct {
	Name    string                 `json:"name"`
	Count   int                    `json:"count"`
	Flag    bool                   `json:"flag"`
	Items   []presentItem          `json:"items"`
	ByKey   map[string]presentItem `json:"by_key"`
	Inner   *presentItem           `json:"inner,omitempty"`
	Untyped any                    `json:"untyped"`
}

// TestPresentAgreesWithTheBytes: present settles an answer only when the
// byte walk would find every required field too; where it cannot tell (a
// zero value), the walk decides, and the two never disagree on a body
// present accepts.
func TestPresentAgreesWithTheBytes(t *testing.T) {
	req := buildRequired([]string{"/name", "/count", "/items/*/id", "/by_key/*/id", "/inner/id"})
	for _, tc := range []struct {
		body    string
		present bool // settled from the value
		missing bool // the byte walk finds a required field missing
	}{
		{`{"name":"a","count":2,"items":[{"id":"i1"}],"by_key":{"k":{"id":"m1"}},"inner":{"id":"x"}}`, true, false},
		{`{"name":"a","count":2,"items":[],"by_key":{}}`, true, false}, // no inner: nothing to require below it
		{`{"count":2,"items":[]}`, false, true},                        // name absent
		{`{"name":"","count":2}`, false, false},                        // name present but empty: the bytes decide
		{`{"name":"a","count":0}`, false, false},                       // a zero count is still a count
		{`{"name":"a","count":1,"items":[{"note":"no id"}]}`, false, true},
		{`{"name":"a","count":1,"by_key":{"k":{}}}`, false, true},
		{`{"name":"a","count":1,"inner":{}}`, false, true},
		{`{"name":"a","count":1,"inner":null}`, true, false},
	} {
		var v presentBody
		require.NoError(t, json.Unmarshal([]byte(tc.body), &v), tc.body)
		assert.Equal(t, tc.present, present(reflect.ValueOf(&v), req), "present: %s", tc.body)
		_, err := checkResponse([]byte(tc.body), req)
		assert.Equal(t, tc.missing, err != nil, "walk: %s: %v", tc.body, err)
		if tc.present {
			assert.NoError(t, err, "a body present accepts has every required field: %s", tc.body)
		}
	}
}

// TestPresentLeavesUnknownShapesToTheBytes: a member the type has no field
// for, or a value of interface type, is never taken as present.
func TestPresentLeavesUnknownShapesToTheBytes(t *testing.T) {
	var v presentBody
	require.NoError(t, json.Unmarshal([]byte(`{"name":"a","count":1,"untyped":{"id":"x"}}`), &v))
	assert.False(t, present(reflect.ValueOf(&v), buildRequired([]string{"/name", "/missing_member"})))
	assert.False(t, present(reflect.ValueOf(&v), buildRequired([]string{"/untyped/id"})))
	assert.True(t, present(reflect.ValueOf(&v), buildRequired([]string{"/name", "/untyped"})))
}
