package sqlparse

import (
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// describe turns a parse tree node into the statement model.
func describe(n *pg_query.Node) Statement {
	switch {
	case n.GetCreateStmt() != nil:
		return createTable(n.GetCreateStmt())
	case n.GetIndexStmt() != nil:
		return createIndex(n.GetIndexStmt())
	case n.GetAlterTableStmt() != nil:
		return alterTable(n.GetAlterTableStmt())
	case n.GetDropStmt() != nil:
		return drop(n.GetDropStmt())
	case n.GetDropdbStmt() != nil:
		s := n.GetDropdbStmt()
		return &DropDatabase{Base: Base{Tag: "DROP DATABASE"}, Name: s.GetDbname(), IfExists: s.GetMissingOk()}
	case n.GetRenameStmt() != nil:
		return rename(n.GetRenameStmt())
	case n.GetTruncateStmt() != nil:
		s := n.GetTruncateStmt()
		return &Truncate{Base: Base{Tag: "TRUNCATE TABLE"}, Tables: rangeVars(s.GetRelations()),
			Cascade: s.GetBehavior() == pg_query.DropBehavior_DROP_CASCADE}
	case n.GetReindexStmt() != nil:
		return reindex(n.GetReindexStmt())
	case n.GetVacuumStmt() != nil:
		return vacuum(n.GetVacuumStmt())
	case n.GetClusterStmt() != nil:
		s := n.GetClusterStmt()
		return &Cluster{Base: Base{Tag: "CLUSTER"}, Table: rangeVar(s.GetRelation()), Index: s.GetIndexname()}
	case n.GetLockStmt() != nil:
		s := n.GetLockStmt()
		return &Lock{Base: Base{Tag: "LOCK TABLE"}, Tables: rangeVars(s.GetRelations()), Mode: lockMode(int(s.GetMode())), NoWait: s.GetNowait()}
	case n.GetCreateTrigStmt() != nil:
		s := n.GetCreateTrigStmt()
		return &CreateTrigger{Base: Base{Tag: "CREATE TRIGGER"}, Name: s.GetTrigname(), Table: rangeVar(s.GetRelation()), Replace: s.GetReplace()}
	case n.GetCreateDomainStmt() != nil:
		s := n.GetCreateDomainStmt()
		return &CreateDomain{Base: Base{Tag: "CREATE DOMAIN"}, Name: qualified(s.GetDomainname()), Constraints: constraints(s.GetConstraints())}
	case n.GetAlterDomainStmt() != nil:
		return alterDomain(n.GetAlterDomainStmt())
	case n.GetAlterEnumStmt() != nil:
		return alterEnum(n.GetAlterEnumStmt())
	case n.GetCreateEnumStmt() != nil:
		s := n.GetCreateEnumStmt()
		return &CreateEnum{Base: Base{Tag: "CREATE TYPE"}, Name: qualified(s.GetTypeName()), Values: strs(s.GetVals())}
	case n.GetUpdateStmt() != nil:
		s := n.GetUpdateStmt()
		return &Update{Base: Base{Tag: "UPDATE"}, Table: rangeVar(s.GetRelation()), HasWhere: s.GetWhereClause() != nil, Pinned: pinned(s.GetWhereClause()),
			Set: assignments(s.GetTargetList())}
	case n.GetDeleteStmt() != nil:
		s := n.GetDeleteStmt()
		return &Delete{Base: Base{Tag: "DELETE"}, Table: rangeVar(s.GetRelation()), HasWhere: s.GetWhereClause() != nil, Pinned: pinned(s.GetWhereClause())}
	case n.GetInsertStmt() != nil:
		s := n.GetInsertStmt()
		sel := s.GetSelectStmt().GetSelectStmt()
		return &Insert{Base: Base{Tag: "INSERT"}, Table: rangeVar(s.GetRelation()),
			FromSelect: sel != nil && len(sel.GetValuesLists()) == 0}
	case n.GetTransactionStmt() != nil:
		return &Transaction{Base: Base{Tag: transactionAction(n.GetTransactionStmt().GetKind())}, Action: transactionAction(n.GetTransactionStmt().GetKind())}
	case n.GetVariableSetStmt() != nil:
		return set(n.GetVariableSetStmt())
	case n.GetRefreshMatViewStmt() != nil:
		s := n.GetRefreshMatViewStmt()
		return &RefreshMaterializedView{Base: Base{Tag: "REFRESH MATERIALIZED VIEW"}, View: rangeVar(s.GetRelation()), Concurrently: s.GetConcurrent()}
	}
	return other(n)
}

func createTable(s *pg_query.CreateStmt) *CreateTable {
	ct := &CreateTable{
		Base:        Base{Tag: "CREATE TABLE"},
		Table:       rangeVar(s.GetRelation()),
		IfNotExists: s.GetIfNotExists(),
		Partitioned: s.GetPartspec() != nil,
		Temporary:   s.GetRelation().GetRelpersistence() == "t",
		Unlogged:    s.GetRelation().GetRelpersistence() == "u",
	}
	if s.GetPartbound() != nil && len(s.GetInhRelations()) == 1 {
		parent := rangeVar(s.GetInhRelations()[0].GetRangeVar())
		ct.PartitionOf = &parent
	} else {
		for _, r := range s.GetInhRelations() {
			ct.Inherits = append(ct.Inherits, rangeVar(r.GetRangeVar()))
		}
	}
	for _, elt := range s.GetTableElts() {
		switch {
		case elt.GetTableLikeClause() != nil:
			ct.Like = append(ct.Like, rangeVar(elt.GetTableLikeClause().GetRelation()))
		case elt.GetColumnDef() != nil:
			ct.Columns = append(ct.Columns, column(elt.GetColumnDef()))
		case elt.GetConstraint() != nil:
			ct.Constraints = append(ct.Constraints, constraint(elt.GetConstraint()))
		}
	}
	ct.Constraints = append(ct.Constraints, constraints(s.GetConstraints())...)
	ct.Options = options(s.GetOptions(), false)
	return ct
}

// options reads storage parameters (a list of DefElem); reset is RESET (...), whose names carry
// no value.
func options(nodes []*pg_query.Node, reset bool) []Option {
	var out []Option
	for _, n := range nodes {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		o := Option{Name: d.GetDefname()}
		if d.GetDefnamespace() != "" {
			o.Name = d.GetDefnamespace() + "." + o.Name
		}
		if !reset {
			o.Value = optionValue(d.GetArg())
		}
		out = append(out, o)
	}
	return out
}

// optionValue spells a storage parameter's value; a name given alone means true.
func optionValue(arg *pg_query.Node) string {
	switch {
	case arg == nil:
		return "true"
	case arg.GetString_() != nil:
		return arg.GetString_().GetSval()
	case arg.GetInteger() != nil:
		return itoa(int(arg.GetInteger().GetIval()))
	case arg.GetFloat() != nil:
		return arg.GetFloat().GetFval()
	case arg.GetBoolean() != nil:
		if arg.GetBoolean().GetBoolval() {
			return "true"
		}
		return "false"
	case arg.GetTypeName() != nil: // an unreserved keyword such as off
		return strings.Join(strs(arg.GetTypeName().GetNames()), ".")
	case arg.GetAConst() != nil:
		return constString(arg.GetAConst())
	}
	return ""
}

// assignments reads UPDATE's SET list.
func assignments(targets []*pg_query.Node) []Assignment {
	var out []Assignment
	for _, n := range targets {
		if rt := n.GetResTarget(); rt != nil {
			out = append(out, Assignment{Column: rt.GetName(), Partial: len(rt.GetIndirection()) > 0})
		}
	}
	return out
}

func createIndex(s *pg_query.IndexStmt) *CreateIndex {
	ci := &CreateIndex{
		Base:         Base{Tag: "CREATE INDEX"},
		Name:         s.GetIdxname(),
		Table:        rangeVar(s.GetRelation()),
		Unique:       s.GetUnique(),
		Concurrently: s.GetConcurrent(),
		IfNotExists:  s.GetIfNotExists(),
		Only:         s.GetRelation() != nil && !s.GetRelation().GetInh(),
		Partial:      s.GetWhereClause() != nil,
		Method:       s.GetAccessMethod(),
	}
	for _, p := range s.GetIndexParams() {
		if e := p.GetIndexElem(); e != nil {
			name := e.GetName()
			if name == "" {
				name = "(expression)"
			}
			ci.Columns = append(ci.Columns, name)
		}
	}
	return ci
}

func alterTable(s *pg_query.AlterTableStmt) *AlterTable {
	object := objectName(s.GetObjtype())
	at := &AlterTable{
		Base:     Base{Tag: "ALTER " + object},
		Table:    rangeVar(s.GetRelation()),
		Object:   object,
		IfExists: s.GetMissingOk(),
		Only:     s.GetRelation() != nil && !s.GetRelation().GetInh(),
	}
	for _, c := range s.GetCmds() {
		if cmd := c.GetAlterTableCmd(); cmd != nil {
			at.Cmds = append(at.Cmds, alterCmd(cmd))
		}
	}
	return at
}

func alterCmd(c *pg_query.AlterTableCmd) AlterCmd {
	cmd := AlterCmd{
		Column:   c.GetName(),
		IfExists: c.GetMissingOk(),
		Cascade:  c.GetBehavior() == pg_query.DropBehavior_DROP_CASCADE,
		Raw:      strings.TrimPrefix(c.GetSubtype().String(), "AT_"),
	}
	def := c.GetDef()
	switch c.GetSubtype() {
	case pg_query.AlterTableType_AT_AddColumn, pg_query.AlterTableType_AT_AddColumnToView:
		cmd.Action = AddColumn
		cmd.IfNotExists = c.GetMissingOk()
		cmd.IfExists = false
		if cd := def.GetColumnDef(); cd != nil {
			col := column(cd)
			cmd.Def = &col
			cmd.Column = col.Name
		}
	case pg_query.AlterTableType_AT_DropColumn:
		cmd.Action = DropColumn
	case pg_query.AlterTableType_AT_AlterColumnType:
		cmd.Action = AlterColumnType
		if cd := def.GetColumnDef(); cd != nil {
			t := typeName(cd.GetTypeName())
			cmd.Type = &t
			if cd.GetRawDefault() != nil {
				cmd.Using = expr(cd.GetRawDefault())
				if usingOnly(cd.GetRawDefault(), c.GetName(), t) {
					cmd.UsingColumn = c.GetName()
				}
			}
			if cd.GetCollClause() != nil {
				cmd.Collation = qualified(cd.GetCollClause().GetCollname()).String()
			}
		}
	case pg_query.AlterTableType_AT_SetNotNull:
		cmd.Action = SetNotNull
	case pg_query.AlterTableType_AT_DropNotNull:
		cmd.Action = DropNotNull
	case pg_query.AlterTableType_AT_ColumnDefault:
		if def == nil {
			cmd.Action = DropDefault
		} else {
			cmd.Action = SetDefault
			cmd.Default = expr(def)
		}
	case pg_query.AlterTableType_AT_AddConstraint:
		cmd.Action = AddConstraint
		if con := def.GetConstraint(); con != nil {
			k := constraint(con)
			cmd.Constraint = &k
			cmd.Name = k.Name
		}
	case pg_query.AlterTableType_AT_ValidateConstraint:
		cmd.Action = ValidateConstraint
	case pg_query.AlterTableType_AT_DropConstraint:
		cmd.Action = DropConstraint
	case pg_query.AlterTableType_AT_SetTableSpace:
		cmd.Action = SetTablespace
	case pg_query.AlterTableType_AT_SetLogged:
		cmd.Action = SetLogged
	case pg_query.AlterTableType_AT_SetUnLogged:
		cmd.Action = SetUnlogged
	case pg_query.AlterTableType_AT_SetAccessMethod:
		cmd.Action = SetAccessMethod
	case pg_query.AlterTableType_AT_AttachPartition:
		cmd.Action = AttachPartition
		cmd.Name = rangeVar(def.GetPartitionCmd().GetName()).String()
	case pg_query.AlterTableType_AT_DetachPartition:
		cmd.Action = DetachPartition
		cmd.Name = rangeVar(def.GetPartitionCmd().GetName()).String()
		cmd.Concurrently = def.GetPartitionCmd().GetConcurrent()
	case pg_query.AlterTableType_AT_ClusterOn:
		cmd.Action = ClusterOn
	case pg_query.AlterTableType_AT_AddIdentity:
		cmd.Action = AddIdentity
	case pg_query.AlterTableType_AT_SetStatistics:
		cmd.Action = SetStatistics
	case pg_query.AlterTableType_AT_SetStorage:
		cmd.Action = SetStorage
	case pg_query.AlterTableType_AT_SetRelOptions, pg_query.AlterTableType_AT_ResetRelOptions,
		pg_query.AlterTableType_AT_SetOptions, pg_query.AlterTableType_AT_ResetOptions:
		cmd.Action = SetOptions
		reset := c.GetSubtype() == pg_query.AlterTableType_AT_ResetRelOptions || c.GetSubtype() == pg_query.AlterTableType_AT_ResetOptions
		cmd.Options = options(def.GetList().GetItems(), reset)
	case pg_query.AlterTableType_AT_EnableTrig, pg_query.AlterTableType_AT_EnableAlwaysTrig,
		pg_query.AlterTableType_AT_EnableReplicaTrig, pg_query.AlterTableType_AT_EnableTrigAll,
		pg_query.AlterTableType_AT_EnableTrigUser:
		cmd.Action = EnableTrigger
	case pg_query.AlterTableType_AT_DisableTrig, pg_query.AlterTableType_AT_DisableTrigAll,
		pg_query.AlterTableType_AT_DisableTrigUser:
		cmd.Action = DisableTrigger
	case pg_query.AlterTableType_AT_ReplicaIdentity:
		cmd.Action = ReplicaIdentity
		if ri := def.GetReplicaIdentityStmt(); ri != nil {
			switch ri.GetIdentityType() {
			case "d":
				cmd.ReplicaIdentity = "DEFAULT"
			case "f":
				cmd.ReplicaIdentity = "FULL"
			case "n":
				cmd.ReplicaIdentity = "NOTHING"
			case "i":
				cmd.ReplicaIdentity = "USING INDEX"
				cmd.Name = ri.GetName()
			}
		}
	case pg_query.AlterTableType_AT_ChangeOwner:
		cmd.Action = ChangeOwner
	default:
		cmd.Action = AlterAction(cmd.Raw)
	}
	if cmd.Action == SetTablespace || cmd.Action == ClusterOn || cmd.Action == ValidateConstraint || cmd.Action == DropConstraint {
		cmd.Name = c.GetName()
		cmd.Column = ""
	}
	return cmd
}

// usingOnly reports whether a USING expression is only the column itself, or the column cast to
// the new type.
func usingOnly(n *pg_query.Node, column string, to Type) bool {
	if tc := n.GetTypeCast(); tc != nil {
		if typeName(tc.GetTypeName()).String() != to.String() {
			return false
		}
		n = tc.GetArg()
	}
	fields := strs(n.GetColumnRef().GetFields())
	return len(fields) == 1 && fields[0] == column
}

// notNullOf returns the column of an expression that is exactly `<column> IS NOT NULL`.
func notNullOf(n *pg_query.Node) string {
	nt := n.GetNullTest()
	if nt == nil || nt.GetNulltesttype() != pg_query.NullTestType_IS_NOT_NULL || nt.GetArgisrow() {
		return ""
	}
	fields := strs(nt.GetArg().GetColumnRef().GetFields())
	if len(fields) == 0 || len(fields) != len(nt.GetArg().GetColumnRef().GetFields()) {
		return ""
	}
	return fields[len(fields)-1]
}

// LongIdentifiers lists the identifiers of the statement written longer than the 63 bytes
// PostgreSQL keeps: the parser truncates them without an error, so only the text shows them.
func (b *Base) LongIdentifiers() []LongIdentifier {
	const max = 63 // NAMEDATALEN - 1
	if len(b.Text) <= max || !mayHoldLongIdentifier(b.Text, max) {
		return nil
	}
	res, err := pg_query.Scan(b.Text)
	if err != nil {
		return nil
	}
	var out []LongIdentifier
	for _, tok := range res.GetTokens() {
		if tok.GetToken() != pg_query.Token_IDENT || int(tok.GetEnd()) > len(b.Text) {
			continue
		}
		raw := b.Text[tok.GetStart():tok.GetEnd()]
		var name string
		if strings.HasPrefix(raw, `"`) {
			name = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(raw, `"`), `"`), `""`, `"`)
		} else {
			name = strings.Map(func(r rune) rune {
				if r >= 'A' && r <= 'Z' {
					return r + 'a' - 'A'
				}
				return r
			}, raw)
		}
		if len(name) <= max {
			continue
		}
		cut := max
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut-- // PostgreSQL never cuts a multibyte character in two
		}
		out = append(out, LongIdentifier{Written: name, Name: name[:cut]})
	}
	return out
}

func column(cd *pg_query.ColumnDef) Column {
	col := Column{Name: cd.GetColname(), Type: typeName(cd.GetTypeName()), NotNull: cd.GetIsNotNull()}
	if cd.GetRawDefault() != nil {
		col.Default = expr(cd.GetRawDefault())
	}
	if cd.GetIdentity() != "" {
		col.Identity = identityKind(cd.GetIdentity())
	}
	if cd.GetCollClause() != nil {
		col.Collation = qualified(cd.GetCollClause().GetCollname()).String()
	}
	for _, n := range cd.GetConstraints() {
		c := n.GetConstraint()
		if c == nil {
			continue
		}
		k := constraint(c)
		switch k.Kind {
		case NotNull:
			col.NotNull = true
		case PrimaryKey:
			col.PrimaryKey = true
			col.NotNull = true
		case Unique:
			col.Unique = true
		case DefaultC:
			col.Default = k.Expr
		case Identity:
			col.Identity = identityKind(c.GetGeneratedWhen())
		case Generated:
			col.Generated = true
		case ForeignKey:
			col.References = k.References
		}
		col.Constraints = append(col.Constraints, k)
	}
	return col
}

func identityKind(when string) string {
	if when == "a" {
		return "always"
	}
	return "by default"
}

func constraints(nodes []*pg_query.Node) []Constraint {
	var out []Constraint
	for _, n := range nodes {
		if c := n.GetConstraint(); c != nil {
			out = append(out, constraint(c))
		}
	}
	return out
}

func constraint(c *pg_query.Constraint) Constraint {
	k := Constraint{
		Name:       c.GetConname(),
		NotValid:   c.GetSkipValidation(),
		UsingIndex: c.GetIndexname(),
		Columns:    strs(c.GetKeys()),
		Deferrable: c.GetDeferrable(),
	}
	switch c.GetContype() {
	case pg_query.ConstrType_CONSTR_CHECK:
		k.Kind = Check
		k.Expr = expr(c.GetRawExpr())
	case pg_query.ConstrType_CONSTR_FOREIGN:
		k.Kind = ForeignKey
		k.Columns = strs(c.GetFkAttrs())
		k.References = &Reference{Table: rangeVar(c.GetPktable()), Columns: strs(c.GetPkAttrs())}
	case pg_query.ConstrType_CONSTR_UNIQUE:
		k.Kind = Unique
	case pg_query.ConstrType_CONSTR_PRIMARY:
		k.Kind = PrimaryKey
	case pg_query.ConstrType_CONSTR_EXCLUSION:
		k.Kind = Exclusion
	case pg_query.ConstrType_CONSTR_NOTNULL:
		k.Kind = NotNull
	case pg_query.ConstrType_CONSTR_NULL:
		k.Kind = Null
	case pg_query.ConstrType_CONSTR_DEFAULT:
		k.Kind = DefaultC
		k.Expr = expr(c.GetRawExpr())
	case pg_query.ConstrType_CONSTR_GENERATED:
		k.Kind = Generated
		k.Expr = expr(c.GetRawExpr())
		k.Stored = true // PostgreSQL before 18 only has STORED generated columns
	case pg_query.ConstrType_CONSTR_IDENTITY:
		k.Kind = Identity
	default:
		k.Kind = OtherC
	}
	return k
}

func drop(s *pg_query.DropStmt) Statement {
	object := objectName(s.GetRemoveType())
	d := &Drop{
		Base:         Base{Tag: "DROP " + object},
		Object:       object,
		IfExists:     s.GetMissingOk(),
		Cascade:      s.GetBehavior() == pg_query.DropBehavior_DROP_CASCADE,
		Concurrently: s.GetConcurrent(),
	}
	for _, o := range s.GetObjects() {
		switch {
		case o.GetList() != nil:
			d.Names = append(d.Names, qualified(o.GetList().GetItems()))
		case o.GetString_() != nil:
			d.Names = append(d.Names, Name{Name: o.GetString_().GetSval()})
		case o.GetTypeName() != nil:
			d.Names = append(d.Names, qualified(o.GetTypeName().GetNames()))
		}
	}
	return d
}

func rename(s *pg_query.RenameStmt) *Rename {
	object := objectName(s.GetRenameType())
	r := &Rename{Base: Base{Tag: "ALTER " + objectName(s.GetRelationType())}, Object: object, To: s.GetNewname()}
	switch s.GetRenameType() {
	case pg_query.ObjectType_OBJECT_COLUMN, pg_query.ObjectType_OBJECT_TABCONSTRAINT, pg_query.ObjectType_OBJECT_TRIGGER,
		pg_query.ObjectType_OBJECT_POLICY, pg_query.ObjectType_OBJECT_RULE:
		r.Table = rangeVar(s.GetRelation())
		r.From = s.GetSubname()
	case pg_query.ObjectType_OBJECT_SCHEMA, pg_query.ObjectType_OBJECT_DATABASE:
		r.Tag = "ALTER " + object
		r.From = s.GetSubname()
	default:
		if s.GetRelation() != nil {
			r.Table = rangeVar(s.GetRelation())
			r.From = r.Table.Name
			r.Tag = "ALTER " + object
		} else {
			r.Tag = "ALTER " + object
			if o := s.GetObject(); o != nil {
				switch {
				case o.GetList() != nil:
					r.From = qualified(o.GetList().GetItems()).String()
				case o.GetString_() != nil:
					r.From = o.GetString_().GetSval()
				}
			}
		}
	}
	if s.GetRenameType() == pg_query.ObjectType_OBJECT_TYPE && s.GetSubname() != "" {
		r.Object = "ENUM VALUE"
	}
	return r
}

func reindex(s *pg_query.ReindexStmt) *Reindex {
	r := &Reindex{Base: Base{Tag: "REINDEX"}, Name: s.GetName()}
	switch s.GetKind() {
	case pg_query.ReindexObjectType_REINDEX_OBJECT_TABLE:
		r.Target = "TABLE"
	case pg_query.ReindexObjectType_REINDEX_OBJECT_INDEX:
		r.Target = "INDEX"
	case pg_query.ReindexObjectType_REINDEX_OBJECT_SCHEMA:
		r.Target = "SCHEMA"
	case pg_query.ReindexObjectType_REINDEX_OBJECT_DATABASE:
		r.Target = "DATABASE"
	default:
		r.Target = "SYSTEM"
	}
	if s.GetRelation() != nil {
		r.Name = rangeVar(s.GetRelation()).String()
	}
	for _, p := range s.GetParams() {
		if d := p.GetDefElem(); d != nil && d.GetDefname() == "concurrently" {
			r.Concurrently = defElemBool(d)
		}
	}
	return r
}

func vacuum(s *pg_query.VacuumStmt) *Vacuum {
	v := &Vacuum{Base: Base{Tag: "VACUUM"}}
	if !s.GetIsVacuumcmd() {
		v.Tag = "ANALYZE"
		v.Analyze = true
	}
	for _, o := range s.GetOptions() {
		if d := o.GetDefElem(); d != nil {
			switch d.GetDefname() {
			case "full":
				v.Full = defElemBool(d)
			case "analyze":
				v.Analyze = defElemBool(d)
			}
		}
	}
	for _, r := range s.GetRels() {
		if vr := r.GetVacuumRelation(); vr != nil {
			v.Tables = append(v.Tables, rangeVar(vr.GetRelation()))
		}
	}
	return v
}

func alterDomain(s *pg_query.AlterDomainStmt) *AlterDomain {
	d := &AlterDomain{Base: Base{Tag: "ALTER DOMAIN"}, Name: qualified(s.GetTypeName())}
	switch s.GetSubtype() {
	case "C":
		d.Action = "ADD CONSTRAINT"
		if c := s.GetDef().GetConstraint(); c != nil {
			k := constraint(c)
			d.Constraint = &k
		}
	case "V":
		d.Action = "VALIDATE CONSTRAINT"
	case "X":
		d.Action = "DROP CONSTRAINT"
	case "O":
		d.Action = "SET NOT NULL"
	case "N":
		d.Action = "DROP NOT NULL"
	case "T":
		if s.GetDef() == nil {
			d.Action = "DROP DEFAULT"
		} else {
			d.Action = "SET DEFAULT"
		}
	default:
		d.Action = s.GetSubtype()
	}
	return d
}

func alterEnum(s *pg_query.AlterEnumStmt) Statement {
	if s.GetOldVal() != "" {
		return &Rename{Base: Base{Tag: "ALTER TYPE"}, Object: "ENUM VALUE", Table: qualified(s.GetTypeName()), From: s.GetOldVal(), To: s.GetNewVal()}
	}
	e := &AlterEnum{Base: Base{Tag: "ALTER TYPE"}, Type: qualified(s.GetTypeName()), AddValue: s.GetNewVal(), IfNotExists: s.GetSkipIfNewValExists()}
	if s.GetNewValNeighbor() != "" {
		if s.GetNewValIsAfter() {
			e.After = s.GetNewValNeighbor()
		} else {
			e.Before = s.GetNewValNeighbor()
		}
	}
	return e
}

func set(s *pg_query.VariableSetStmt) *Set {
	st := &Set{Base: Base{Tag: "SET"}, Name: s.GetName(), Local: s.GetIsLocal()}
	switch s.GetKind() {
	case pg_query.VariableSetKind_VAR_RESET, pg_query.VariableSetKind_VAR_RESET_ALL:
		st.Tag, st.Reset = "RESET", true
	case pg_query.VariableSetKind_VAR_SET_DEFAULT:
		st.Value = "DEFAULT"
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		// SET TRANSACTION ..., SET SESSION CHARACTERISTICS: Name says which.
	}
	var vals []string
	for _, a := range s.GetArgs() {
		if c := a.GetAConst(); c != nil {
			vals = append(vals, constString(c))
		}
	}
	if len(vals) > 0 {
		st.Value = strings.Join(vals, ", ")
	}
	return st
}

func constString(c *pg_query.A_Const) string {
	switch {
	case c.GetSval() != nil:
		return c.GetSval().GetSval()
	case c.GetIval() != nil:
		return itoa(int(c.GetIval().GetIval()))
	case c.GetFval() != nil:
		return c.GetFval().GetFval()
	case c.GetBoolval() != nil:
		if c.GetBoolval().GetBoolval() {
			return "on"
		}
		return "off"
	}
	return ""
}

// otherTags names statements the model keeps as Other.
var otherTags = map[string]string{
	"ViewStmt": "CREATE VIEW", "CommentStmt": "COMMENT", "SelectStmt": "SELECT", "GrantStmt": "GRANT",
	"CreateFunctionStmt": "CREATE FUNCTION", "CreateExtensionStmt": "CREATE EXTENSION", "CreateSchemaStmt": "CREATE SCHEMA",
	"CreateSeqStmt": "CREATE SEQUENCE", "AlterSeqStmt": "ALTER SEQUENCE", "CreateTableAsStmt": "CREATE TABLE AS",
	"DoStmt": "DO", "CreatedbStmt": "CREATE DATABASE", "CopyStmt": "COPY", "ExplainStmt": "EXPLAIN",
	"CreatePolicyStmt": "CREATE POLICY", "CompositeTypeStmt": "CREATE TYPE", "DefineStmt": "CREATE",
	"AlterOwnerStmt": "ALTER OWNER", "AlterObjectSchemaStmt": "ALTER SET SCHEMA", "CallStmt": "CALL",
	"CreateStatsStmt": "CREATE STATISTICS", "RuleStmt": "CREATE RULE", "AlterFunctionStmt": "ALTER FUNCTION",
	"NotifyStmt": "NOTIFY", "CheckPointStmt": "CHECKPOINT", "DiscardStmt": "DISCARD",
	"ConstraintsSetStmt": "SET CONSTRAINTS", "VariableShowStmt": "SHOW", "AlterDatabaseSetStmt": "ALTER DATABASE",
}

func other(n *pg_query.Node) *Other {
	o := &Other{}
	msg := n.ProtoReflect()
	which := msg.WhichOneof(msg.Descriptor().Oneofs().Get(0))
	if which == nil {
		o.Tag = "UNKNOWN"
		return o
	}
	name := string(which.Message().Name())
	if tag, ok := otherTags[name]; ok {
		o.Tag = tag
	} else {
		o.Tag = strings.ToUpper(strings.TrimSuffix(name, "Stmt"))
	}
	if v := n.GetViewStmt(); v != nil {
		o.ViewOf = selectStarFrom(v.GetQuery().GetSelectStmt())
	}
	if g := n.GetGrantStmt(); g != nil && !g.GetIsGrant() {
		o.Tag = "REVOKE"
	}
	// The relation a statement names at its top level (CREATE VIEW's view, COMMENT's object...).
	inner := msg.Get(which).Message()
	inner.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && fd.Message().Name() == "RangeVar" {
			if rv, ok := v.Message().Interface().(*pg_query.RangeVar); ok {
				o.Tables = append(o.Tables, rangeVar(rv))
			}
		}
		return true
	})
	return o
}

// selectStarFrom returns t of a query that is exactly `SELECT * FROM t`, nil for any other query.
func selectStarFrom(s *pg_query.SelectStmt) *Name {
	if s == nil || s.GetOp() != pg_query.SetOperation_SETOP_NONE || len(s.GetFromClause()) != 1 ||
		len(s.GetTargetList()) != 1 || s.GetWhereClause() != nil || len(s.GetGroupClause()) > 0 ||
		s.GetHavingClause() != nil || len(s.GetDistinctClause()) > 0 || len(s.GetSortClause()) > 0 ||
		s.GetLimitCount() != nil || s.GetLimitOffset() != nil || s.GetWithClause() != nil ||
		len(s.GetWindowClause()) > 0 || len(s.GetLockingClause()) > 0 || s.GetIntoClause() != nil {
		return nil
	}
	star := s.GetTargetList()[0].GetResTarget().GetVal().GetColumnRef().GetFields()
	if len(star) != 1 || star[0].GetAStar() == nil {
		return nil
	}
	rv := s.GetFromClause()[0].GetRangeVar()
	if rv == nil || !rv.GetInh() {
		return nil // a join, subquery or function, or FROM ONLY
	}
	n := rangeVar(rv)
	return &n
}

func transactionAction(k pg_query.TransactionStmtKind) string {
	switch k {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		return "BEGIN"
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		return "COMMIT"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		return "ROLLBACK"
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		return "SAVEPOINT"
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		return "RELEASE"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return "ROLLBACK TO"
	case pg_query.TransactionStmtKind_TRANS_STMT_PREPARE:
		return "PREPARE TRANSACTION"
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED:
		return "COMMIT PREPARED"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
		return "ROLLBACK PREPARED"
	}
	return "TRANSACTION"
}

// lockMode spells LOCK TABLE's mode (lockdefs.h numbering).
func lockMode(m int) string {
	modes := []string{"", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE",
		"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"}
	if m > 0 && m < len(modes) {
		return modes[m]
	}
	return "ACCESS EXCLUSIVE"
}

// objectName spells an object type as SQL does.
func objectName(t pg_query.ObjectType) string {
	switch t {
	case pg_query.ObjectType_OBJECT_MATVIEW:
		return "MATERIALIZED VIEW"
	case pg_query.ObjectType_OBJECT_TABCONSTRAINT, pg_query.ObjectType_OBJECT_DOMCONSTRAINT:
		return "CONSTRAINT"
	case pg_query.ObjectType_OBJECT_FDW:
		return "FOREIGN DATA WRAPPER"
	case pg_query.ObjectType_OBJECT_FOREIGN_SERVER:
		return "SERVER"
	case pg_query.ObjectType_OBJECT_TYPE_UNDEFINED:
		return "TABLE"
	}
	return strings.ReplaceAll(strings.TrimPrefix(t.String(), "OBJECT_"), "_", " ")
}

func rangeVar(r *pg_query.RangeVar) Name {
	if r == nil {
		return Name{}
	}
	return Name{Schema: r.GetSchemaname(), Name: r.GetRelname()}
}

func rangeVars(nodes []*pg_query.Node) []Name {
	var out []Name
	for _, n := range nodes {
		if r := n.GetRangeVar(); r != nil {
			out = append(out, rangeVar(r))
		}
	}
	return out
}

// qualified reads a name list: ["public", "mytype"] or ["mytype"].
func qualified(nodes []*pg_query.Node) Name {
	parts := strs(nodes)
	switch len(parts) {
	case 0:
		return Name{}
	case 1:
		return Name{Name: parts[0]}
	}
	return Name{Schema: parts[len(parts)-2], Name: parts[len(parts)-1]}
}

func strs(nodes []*pg_query.Node) []string {
	var out []string
	for _, n := range nodes {
		if s := n.GetString_(); s != nil {
			out = append(out, s.GetSval())
		}
	}
	return out
}

func typeName(t *pg_query.TypeName) Type {
	if t == nil {
		return Type{}
	}
	names := strs(t.GetNames())
	ty := Type{Array: len(t.GetArrayBounds()) > 0}
	switch len(names) {
	case 0:
	case 1:
		ty.Name = names[0]
	default:
		ty.Schema, ty.Name = names[len(names)-2], names[len(names)-1]
		if ty.Schema == "pg_catalog" {
			ty.Schema = ""
		}
	}
	for _, m := range t.GetTypmods() {
		if c := m.GetAConst(); c != nil && c.GetIval() != nil {
			ty.Mods = append(ty.Mods, int(c.GetIval().GetIval()))
		}
	}
	return ty
}

func defElemBool(d *pg_query.DefElem) bool {
	switch strings.ToLower(optionValue(d.GetArg())) {
	case "false", "off", "0", "no":
		return false
	}
	return true
}

// pinned lists the columns a WHERE pins to values in its top-level AND chain: `column =
// constant`, `column IN (constants)`, `column BETWEEN constant AND constant`, or a lower and an
// upper constant bound on the same column (`id >= 1000 AND id < 2000`).
func pinned(n *pg_query.Node) []string {
	if n == nil {
		return nil
	}
	conjuncts := []*pg_query.Node{n}
	if b := n.GetBoolExpr(); b != nil {
		if b.GetBoolop() != pg_query.BoolExprType_AND_EXPR {
			return nil
		}
		conjuncts = b.GetArgs()
	}
	var out []string
	seen := map[string]bool{}
	pin := func(col string) {
		if !seen[col] {
			seen[col] = true
			out = append(out, col)
		}
	}
	lower, upper := map[string]bool{}, map[string]bool{}
	for _, c := range conjuncts {
		e := c.GetAExpr()
		if e == nil {
			continue
		}
		fields := strs(e.GetLexpr().GetColumnRef().GetFields())
		if len(fields) == 0 {
			continue
		}
		col := fields[len(fields)-1]
		switch e.GetKind() {
		case pg_query.A_Expr_Kind_AEXPR_OP:
			names := strs(e.GetName())
			if len(names) != 1 || !constant(e.GetRexpr()) {
				continue
			}
			switch names[0] {
			case "=":
				pin(col)
			case ">", ">=":
				lower[col] = true
			case "<", "<=":
				upper[col] = true
			}
			if lower[col] && upper[col] {
				pin(col)
			}
		case pg_query.A_Expr_Kind_AEXPR_IN, pg_query.A_Expr_Kind_AEXPR_BETWEEN:
			list := e.GetRexpr().GetList()
			if list == nil {
				continue
			}
			all := true
			for _, item := range list.GetItems() {
				all = all && constant(item)
			}
			if all {
				pin(col)
			}
		}
	}
	return out
}

// constant reports a literal, a parameter, or a cast of one.
func constant(n *pg_query.Node) bool {
	if tc := n.GetTypeCast(); tc != nil {
		return constant(tc.GetArg())
	}
	return n.GetAConst() != nil || n.GetParamRef() != nil
}

// mayHoldLongIdentifier is a cheap byte-level prefilter for LongIdentifiers: an identifier longer
// than max bytes needs either a run of more than max bytes that could belong to an unquoted
// identifier, or a double-quoted span longer than max. Without one, PostgreSQL's scanner (a cgo
// call) need not run; with one (a long string literal also qualifies), the scanner decides.
func mayHoldLongIdentifier(text string, max int) bool {
	run, quoted, inQuote := 0, 0, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if inQuote {
			if c == '"' {
				if i+1 < len(text) && text[i+1] == '"' {
					quoted++
					i++
					continue
				}
				inQuote = false
				if quoted > max {
					return true
				}
				continue
			}
			quoted++
			continue
		}
		switch {
		case c == '"':
			inQuote, quoted, run = true, 0, 0
		case c == '_' || c == '$' || c >= 0x80 || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			run++
			if run > max {
				return true
			}
		default:
			run = 0
		}
	}
	return inQuote && quoted > max
}
