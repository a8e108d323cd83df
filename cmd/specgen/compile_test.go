package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// goBuild compiles the packages in dirs (relative to cmd/specgen) with the
// go command, laying files (path relative to cmd/specgen → contents) over
// the file system with -overlay, so nothing is written into the module. It
// returns the go command's combined output and its error.
func goBuild(t *testing.T, files map[string]string, dirs ...string) (string, error) {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to compile generated code")
	wd, err := os.Getwd()
	require.NoError(t, err)
	tmp := t.TempDir()
	overlay := map[string]map[string]string{"Replace": {}}
	i := 0
	for rel, src := range files {
		i++
		real := filepath.Join(tmp, strconv.Itoa(i)+".go")
		require.NoError(t, os.WriteFile(real, []byte(src), 0o644))
		overlay["Replace"][filepath.Join(wd, rel)] = real
	}
	b, err := json.Marshal(overlay)
	require.NoError(t, err)
	overlayFile := filepath.Join(tmp, "overlay.json")
	require.NoError(t, os.WriteFile(overlayFile, b, 0o644))
	args := append([]string{"build", "-overlay", overlayFile}, dirs...)
	cmd := exec.Command(goCmd, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
