package config

import (
	"fmt"
	"strings"
	"unicode"
)

// Allow is one ZDCD_ALLOW entry: a pending migration approved as a whole ("shop.0007_remove_price")
// or for one rule only ("shop.0007_remove_price:remove-field"). Whether the rule exists is for the
// analysis to check; this package checks the shape.
type Allow struct {
	App       string
	Migration string
	// Rule is empty when the whole migration is approved.
	Rule string
}

// String renders the entry as it is written in ZDCD_ALLOW.
func (a Allow) String() string {
	s := a.App + "." + a.Migration
	if a.Rule != "" {
		s += ":" + a.Rule
	}
	return s
}

// allowExample ends ZDCD_ALLOW's error messages.
const allowExample = "expected app.migration or app.migration:rule, such as shop.0007_remove_price or shop.0007_remove_price:remove-field"

// parseAllow parses a comma-separated list. Spaces around items are ignored, and so are empty
// items (a trailing comma). The problem it returns names the first bad item.
func parseAllow(s string) ([]Allow, string) {
	out := []Allow{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		a, problem := parseAllowItem(item)
		if problem != "" {
			return nil, fmt.Sprintf("is invalid: item %s %s; %s", quote(item), problem, allowExample)
		}
		out = append(out, a)
	}
	return out, ""
}

func parseAllowItem(item string) (Allow, string) {
	var a Allow
	key, rule, hasRule := strings.Cut(item, ":")
	app, migration, ok := strings.Cut(key, ".")
	if !ok {
		return a, "has no '.' between app label and migration name"
	}
	switch {
	case !isIdentifier(app):
		return a, "has an invalid app label (letters, digits and underscores, not starting with a digit)"
	case !isMigrationName(migration):
		return a, "has an invalid migration name (letters, digits and underscores)"
	case hasRule && !isKebab(rule):
		return a, "has an invalid rule name (kebab-case: lowercase letters, digits and dashes)"
	}
	return Allow{App: app, Migration: migration, Rule: rule}, ""
}

// isIdentifier reports whether s is a Python identifier, as Django requires of app labels.
func isIdentifier(s string) bool {
	for i, r := range s {
		if r != '_' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

// isMigrationName reports whether s can be a migration module's name: an identifier that may
// start with a digit ("0001_initial").
func isMigrationName(s string) bool {
	for _, r := range s {
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

// isKebab reports whether s is a kebab-case rule name: "remove-field", "index-create-blocking".
func isKebab(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return s[0] >= 'a' && s[0] <= 'z'
}

// ParseAllow parses one app.migration[:rule] (the syntax of a ZDCD_ALLOW item), for commands
// that take migrations as arguments.
func ParseAllow(item string) (Allow, error) {
	a, problem := parseAllowItem(strings.TrimSpace(item))
	if problem != "" {
		return Allow{}, fmt.Errorf("%s; %s", problem, allowExample)
	}
	return a, nil
}
