package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// version names a release when the build sets it (-ldflags "-X main.version=v1.2.3");
// otherwise the module version from the build info is shown: vX.Y.Z when built by
// `go install …@vX.Y.Z`, a pseudo-version or "(devel)" when built from a checkout.
var version string

// versionText is what `parley version` prints.
func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = &debug.BuildInfo{GoVersion: runtime.Version()}
	}
	return describeBuild(version, info)
}

// describeBuild is one line: the version, the commit the binary was built from with its
// time and whether the tree had uncommitted changes (Go records them when it builds
// inside a git checkout, unless -buildvcs=false), and the Go version.
func describeBuild(release string, info *debug.BuildInfo) string {
	v := release
	if v == "" {
		v = info.Main.Version
	}
	if v == "" {
		v = "(unknown)"
	}
	var rev, at string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	parts := []string{"parley", v}
	if rev != "" {
		if modified {
			rev += "+modified"
		}
		parts = append(parts, "commit "+rev)
	}
	if at != "" {
		parts = append(parts, at)
	}
	return strings.Join(append(parts, info.GoVersion), " ")
}
