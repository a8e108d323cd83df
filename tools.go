//go:build tools

// This file pins the code generator in go.mod (alongside the tool
// directive), so `go mod tidy` keeps oapi-codegen at the version
// cmd/specgen compiles in. It is never built.
package banklink

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
