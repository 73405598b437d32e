// Package docs embeds the documentation zdcd-release prints offline (a release dyno has no
// browser): one page per rule, docs/rules/<rule>.md.
package docs

import (
	"embed"
	"io/fs"
)

//go:embed rules/*.md
var rules embed.FS

// Rule returns the page of a rule, ok=false when there is none.
func Rule(name string) (string, bool) {
	b, err := fs.ReadFile(rules, "rules/"+name+".md")
	if err != nil {
		return "", false
	}
	return string(b), true
}
