package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/zdcd/zdcd/internal/sqlparse"
	"hash"
	"sort"
	"strings"
)

// digestVersion names the canonical encoding Digest hashes. Changing what the encoding covers
// changes every digest (and so invalidates every recorded approval): bump it when you do.
const digestVersion = "zdcd-migration-digest/1"

// djangoOperations is the module prefix of Django's own operations. Their arguments are fully
// described by the SQL they render; a custom operation's arguments parametrise its own code.
const djangoOperations = "django.db.migrations.operations."

// behaviourArgs are operation arguments that change what runs without appearing in the SQL:
// RunPython/RunSQL's atomic (a transaction around the code in a non-atomic migration) and hints
// (which database routers let the operation run on).
var behaviourArgs = []string{"atomic", "hints"}

// Digest identifies what the migration will do to the database: "sha256:" and the hex SHA-256 of
// a canonical encoding of the migration's app, name and atomic flag and, for every
// operation in order (the database operations of a SeparateDatabaseAndState in place of the
// operation's own SQL, recursively):
//
//   - its class and module;
//   - every SQL statement, byte for byte, and whether it is deferred to the end of the migration;
//   - the SQL rendering error, when the SQL could not be rendered, with the operation's
//     arguments (the only description left of what it will run);
//   - RunPython's forward function ("module.qualname");
//   - the atomic and hints arguments (RunPython, RunSQL), and every argument of an operation that
//     is not Django's own (a custom operation's arguments drive its code).
//
// Excluded, because they change without changing what runs: the file, line numbers (of the
// class, the operations, the RunPython function), the position in the plan, dependencies,
// replaces, initial (zdcd never migrates with --fake-initial), describe() text, zdcd_ attributes
// (reviewed exemptions are the analysis's business), reverse code (a release never migrates
// backwards: it restores), and state-only data (state operations, models and fields as Django's
// state sees them, elidable).
//
// RunPython's function is identified by name and by the SHA-256 of its source text (when Python
// can read it), so editing its body changes the digest; what it calls is not followed. For a field whose default is a callable (timezone.now, uuid4), Django renders
// the value computed when the plan is made as a literal, different in every plan: the operation's
// statements are digested with their constants normalised to placeholders, plus the callable's
// name — so a re-release matches the plan that was approved.
//
// The encoding is length-prefixed fields in a fixed order (no map iteration, no formatting of
// structs), so the digest is the same across runs, machines and Go versions.
func (m *Migration) Digest() string {
	d := digester{h: sha256.New()}
	d.field("version", digestVersion)
	d.field("app", m.App)
	d.field("name", m.Name)
	d.flag("atomic", m.Atomic)
	d.operations("operations", m.Operations)
	return "sha256:" + hex.EncodeToString(d.h.Sum(nil))
}

type digester struct{ h hash.Hash }

// field writes a netstring-like record: "name len:value\n". Lengths make the encoding
// unambiguous whatever the values contain.
func (d digester) field(name, value string) {
	fmt.Fprintf(d.h, "%s %d:%s\n", name, len(value), value)
}

func (d digester) flag(name string, v bool) {
	if v {
		d.field(name, "true")
	} else {
		d.field(name, "false")
	}
}

func (d digester) operations(name string, ops []Operation) {
	d.field(name, fmt.Sprint(len(ops)))
	for i := range ops {
		d.operation(&ops[i])
	}
	d.field("end", name)
}

func (d digester) operation(op *Operation) {
	d.field("class", op.Class)
	d.field("module", op.Module)
	if op.DatabaseOperations != nil || op.Class == "SeparateDatabaseAndState" {
		// The parent's SQL is the concatenation of its database operations': encode those, with
		// their own classes and arguments, instead.
		d.operations("database_operations", op.DatabaseOperations)
	} else {
		d.field("sql", fmt.Sprint(len(op.SQL)))
		callable := callableDefault(op)
		if callable != "" {
			// The default is computed when the plan is made (timezone.now, uuid4) and rendered as
			// a literal: the statements' shape and the callable are what was reviewed.
			d.field("callable_default", callable)
		}
		for _, s := range op.SQL {
			text := s.SQL
			if callable != "" {
				if n, err := sqlparse.Normalize(text); err == nil {
					text = n
				}
			}
			d.field("statement", text)
			d.flag("deferred", s.Deferred)
		}
	}
	if op.SQLError != "" {
		d.field("sql_error", op.SQLError)
	}
	if op.Python != nil {
		d.field("python", op.Python.Function)
		if op.Python.SourceSHA256 != "" {
			d.field("python_source", op.Python.SourceSHA256)
		}
	}
	if op.SQLError != "" || (op.Module != "" && !strings.HasPrefix(op.Module, djangoOperations)) {
		keys := make([]string, 0, len(op.Args))
		for k := range op.Args {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d.args(op.Args, keys)
	} else {
		d.args(op.Args, behaviourArgs)
	}
	d.field("end", "operation")
}

// callableDefault is the callable of the field an operation adds or alters, when its default is
// one ("django.utils.timezone.now"), else "".
func callableDefault(op *Operation) string {
	if f := op.NewField; f != nil && f.Default != nil && f.Default.Callable {
		return f.Default.Repr
	}
	return ""
}

// args writes the named arguments present in args, in the order of keys, as canonical JSON.
func (d digester) args(args map[string]json.RawMessage, keys []string) {
	for _, k := range keys {
		if v, ok := args[k]; ok {
			d.field("arg", k)
			d.field("value", canonicalJSON(v))
		}
	}
}

// canonicalJSON re-encodes a JSON value with object keys sorted and numbers kept as written, so
// that two encodings of the same value digest alike. Invalid JSON is kept verbatim.
func canonicalJSON(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v any) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(quote(k))
			b.WriteString(":")
			writeCanonical(b, v[k])
		}
		b.WriteString("}")
	case []any:
		b.WriteString("[")
		for i, e := range v {
			if i > 0 {
				b.WriteString(",")
			}
			writeCanonical(b, e)
		}
		b.WriteString("]")
	case string:
		b.WriteString(quote(v))
	case json.Number:
		b.WriteString(v.String())
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case nil:
		b.WriteString("null")
	}
}

// quote writes s as a JSON string with a fixed escaping: only '"', '\\' and control characters
// are escaped (as \u00XX), everything else is written as UTF-8.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
