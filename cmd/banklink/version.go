package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/banklink/banklink/facade"
)

const modulePath = "github.com/banklink/banklink"

// version is the module version the binary was built from: the one `go
// install github.com/banklink/banklink/cmd/banklink@v0.1.0` records, else
// (a build from a checkout) facade.Version, the release CHANGELOG.md's top
// entry names.
func version() string {
	info, ok := debug.ReadBuildInfo()
	return versionOf(info, ok)
}

func versionOf(info *debug.BuildInfo, ok bool) string {
	if ok && info.Main.Path == modulePath && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return strings.TrimPrefix(info.Main.Version, "v")
	}
	return facade.Version
}

func versionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print banklink's version (also: banklink --version)",
		Example: `  banklink version`,
		Args:    exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(a.out, "banklink %s\n", version())
			return err
		},
	}
}
