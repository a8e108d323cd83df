//go:build tools

// This file pins oapi-codegen's command in go.mod at the version cmd/specgen
// compiles in as a library, so `go run
// github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen` and specgen
// always agree. It is never built. (banklink pins the generator here rather
// than with a go.mod tool directive, which would pin it twice.)
package banklink

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
