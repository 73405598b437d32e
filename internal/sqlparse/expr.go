package sqlparse

import (
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// expr summarises an expression by walking its whole tree.
func expr(n *pg_query.Node) *Expr {
	if n == nil {
		return nil
	}
	e := &Expr{Constant: true}
	funcs := map[string]bool{}
	values := map[string]bool{}
	walk(n.ProtoReflect(), func(m protoreflect.Message) {
		switch v := m.Interface().(type) {
		case *pg_query.FuncCall:
			names := strs(v.GetFuncname())
			if len(names) > 0 {
				funcs[strings.ToLower(names[len(names)-1])] = true
			}
			e.Constant = false
		case *pg_query.SQLValueFunction:
			values[strings.ToLower(strings.TrimPrefix(v.GetOp().String(), "SVFOP_"))] = true
			e.Constant = false
		case *pg_query.ColumnRef, *pg_query.SubLink, *pg_query.ParamRef:
			e.Constant = false
		}
	})
	for f := range funcs {
		e.Funcs = append(e.Funcs, f)
	}
	for v := range values {
		e.ValueFunctions = append(e.ValueFunctions, v)
	}
	sort.Strings(e.Funcs)
	sort.Strings(e.ValueFunctions)
	e.NotNullOf = notNullOf(n)
	return e
}

// calls lists the functions a statement calls anywhere, for Base.Calls.
func calls(n *pg_query.Node) []string {
	if n == nil {
		return nil
	}
	seen := map[string]bool{}
	walk(n.ProtoReflect(), func(m protoreflect.Message) {
		if f, ok := m.Interface().(*pg_query.FuncCall); ok {
			names := strs(f.GetFuncname())
			if len(names) > 1 && names[len(names)-2] == "pg_catalog" {
				names = names[len(names)-1:]
			}
			if len(names) > 0 {
				seen[strings.ToLower(strings.Join(names, "."))] = true
			}
		}
	})
	var out []string
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// walk calls visit on m and every message below it.
func walk(m protoreflect.Message, visit func(protoreflect.Message)) {
	visit(m)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walk(l.Get(i).Message(), visit)
			}
			return true
		}
		walk(v.Message(), visit)
		return true
	})
}
