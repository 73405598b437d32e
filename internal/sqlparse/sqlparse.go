// Package sqlparse reads SQL with the real PostgreSQL parser (libpg_query, through
// github.com/pganalyze/pg_query_go) and describes each statement in a small typed model the rules
// switch on: CreateIndex, AlterTable with its commands, Drop, Rename, ... It is the only package
// that imports pg_query: no other code sees the parse tree, and no code anywhere reads SQL with
// regular expressions.
package sqlparse

import (
	"fmt"
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
)

// ParseError is SQL the PostgreSQL parser rejects.
type ParseError struct {
	Message string
	// Offset is the byte offset in the script where the parser gave up (-1 when unknown); Line is
	// the 1-based line of that offset.
	Offset int
	Line   int
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return e.Message
}

// Comment is a comment in a script: `-- ...` or `/* ... */`.
type Comment struct {
	// Text is the comment without its markers, trimmed.
	Text   string
	Offset int
}

// Script is parsed SQL: its statements, in order, and its comments.
type Script struct {
	Statements []Statement
	Comments   []Comment
}

// Parse parses a script that may hold several statements (as Django's RunSQL sends it).
func Parse(sql string) (*Script, error) {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, parseError(sql, err)
	}
	raws := tree.GetStmts()
	script := &Script{Statements: make([]Statement, 0, len(raws))}
	for _, raw := range raws {
		start := int(raw.GetStmtLocation())
		end := len(sql)
		if l := int(raw.GetStmtLen()); l > 0 {
			end = start + l
		}
		text, offset := trimStatement(sql, start, end)
		st := describe(raw.GetStmt())
		b := st.base()
		b.Text, b.Offset = text, offset
		switch st.(type) {
		case *Other, *Update, *Insert, *Delete:
			// Only these can run arbitrary functions worth naming; walking every tree is costly.
			b.Calls = calls(raw.GetStmt())
		}
		b.Line = 1 + strings.Count(sql[:offset], "\n")
		script.Statements = append(script.Statements, st)
	}
	if strings.Contains(sql, "--") || strings.Contains(sql, "/*") {
		script.Comments = comments(sql)
	}
	return script, nil
}

// trimStatement cuts a statement out of the script without the whitespace and comments before it.
func trimStatement(sql string, start, end int) (string, int) {
	for start < end {
		rest := sql[start:end]
		trimmed := strings.TrimLeft(rest, " \t\r\n\f")
		switch {
		case strings.HasPrefix(trimmed, "--"):
			nl := strings.IndexByte(trimmed, '\n')
			if nl < 0 {
				return "", end
			}
			start += len(rest) - len(trimmed) + nl + 1
		case strings.HasPrefix(trimmed, "/*"):
			close := strings.Index(trimmed, "*/")
			if close < 0 {
				return strings.TrimSpace(rest), start
			}
			start += len(rest) - len(trimmed) + close + 2
		default:
			start += len(rest) - len(trimmed)
			return strings.TrimRight(sql[start:end], " \t\r\n\f;"), start
		}
	}
	return "", start
}

// comments lists the script's comments, found by PostgreSQL's own scanner.
func comments(sql string) []Comment {
	res, err := pg_query.Scan(sql)
	if err != nil {
		return nil
	}
	var out []Comment
	for _, tok := range res.GetTokens() {
		switch tok.GetToken() {
		case pg_query.Token_SQL_COMMENT:
			text := sql[tok.GetStart():tok.GetEnd()]
			out = append(out, Comment{Text: strings.TrimSpace(strings.TrimPrefix(text, "--")), Offset: int(tok.GetStart())})
		case pg_query.Token_C_COMMENT:
			text := sql[tok.GetStart():tok.GetEnd()]
			text = strings.TrimSuffix(strings.TrimPrefix(text, "/*"), "*/")
			out = append(out, Comment{Text: strings.TrimSpace(text), Offset: int(tok.GetStart())})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out
}

func parseError(sql string, err error) *ParseError {
	pe := &ParseError{Message: err.Error(), Offset: -1}
	if e, ok := err.(*parser.Error); ok {
		pe.Message = e.Message
		if e.Cursorpos > 0 && e.Cursorpos-1 <= len(sql) {
			pe.Offset = e.Cursorpos - 1
			pe.Line = 1 + strings.Count(sql[:pe.Offset], "\n")
		}
	}
	return pe
}

// ParseType reads a column type as written in SQL or by Django's db_type ("varchar(100)",
// "numeric(10, 2)", "timestamp with time zone", "integer[]").
func ParseType(s string) (Type, error) {
	tree, err := pg_query.Parse("CREATE TABLE t (c " + s + ")")
	if err != nil {
		return Type{}, parseError(s, err)
	}
	stmts := tree.GetStmts()
	if len(stmts) != 1 {
		return Type{}, &ParseError{Message: "not one type: " + s, Offset: -1}
	}
	elts := stmts[0].GetStmt().GetCreateStmt().GetTableElts()
	if len(elts) != 1 || elts[0].GetColumnDef() == nil {
		return Type{}, &ParseError{Message: "not a type: " + s, Offset: -1}
	}
	return typeName(elts[0].GetColumnDef().GetTypeName()), nil
}

// Normalize returns sql with every literal constant (strings, numbers, bit strings) replaced by
// "?", read with PostgreSQL's own scanner: two statements that differ only in their literal
// values normalise to the same text. Unlike pg_query's Normalize, which leaves DDL alone, it also
// normalises the constants of utility statements (ALTER TABLE … DEFAULT '…').
func Normalize(sql string) (string, error) {
	res, err := pg_query.Scan(sql)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	at := 0
	for _, tok := range res.Tokens {
		switch tok.Token {
		case pg_query.Token_SCONST, pg_query.Token_ICONST, pg_query.Token_FCONST, pg_query.Token_BCONST, pg_query.Token_XCONST, pg_query.Token_USCONST:
			if int(tok.Start) < at || int(tok.End) > len(sql) {
				continue
			}
			b.WriteString(sql[at:tok.Start])
			b.WriteString("?")
			at = int(tok.End)
		}
	}
	b.WriteString(sql[at:])
	return b.String(), nil
}
