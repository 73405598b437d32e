package config

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/kelseyhightower/envconfig"

	"github.com/zdcd/zdcd/internal/childenv"
)

// ProcessEnviron is the process's environment as zdcd reads it: the variables of the table
// (variables.go) are read with envconfig (github.com/kelseyhightower/envconfig, the reader the
// project fixed), the rest (what child processes inherit, what the Redactor learns secrets from)
// is os.Environ(). Load then parses it; tests hand Load an environment of their own instead.
//
// envconfig reads a struct's tagged fields; the struct is built from the table with
// reflect.StructOf, so each variable is still declared once. envconfig upper-cases keys: a
// database variable named in lower case by ZDCD_DATABASE_VAR is looked up as written instead.
func ProcessEnviron() ([]string, error) {
	env := os.Environ()
	var names []string
	for i := range variables {
		if variables[i].namedBy == "" {
			names = append(names, variables[i].name)
		}
	}
	got, err := readEnvconfig(names)
	if err != nil {
		return nil, err
	}
	dbVar := strings.TrimSpace(got["ZDCD_DATABASE_VAR"])
	if dbVar == "" {
		dbVar = DefaultDatabaseVar
	}
	if checkVarName(dbVar) == "" && dbVar == strings.ToUpper(dbVar) {
		db, err := readEnvconfig([]string{dbVar})
		if err != nil {
			return nil, err
		}
		for k, v := range db {
			got[k] = v
		}
	}
	for k, v := range got {
		env = childenv.Set(env, k, v)
	}
	return env, nil
}

// readEnvconfig reads names from the process environment with envconfig: the set ones, by name.
func readEnvconfig(names []string) (map[string]string, error) {
	fields := make([]reflect.StructField, len(names))
	for i, name := range names {
		fields[i] = reflect.StructField{
			Name: fmt.Sprintf("V%d", i),
			Type: reflect.TypeOf((*string)(nil)),
			Tag:  reflect.StructTag(fmt.Sprintf(`envconfig:%q`, name)),
		}
	}
	spec := reflect.New(reflect.StructOf(fields))
	if err := envconfig.Process("", spec.Interface()); err != nil {
		return nil, fmt.Errorf("read the environment: %w", err)
	}
	got := map[string]string{}
	for i, name := range names {
		if p := spec.Elem().Field(i).Interface().(*string); p != nil {
			got[name] = *p
		}
	}
	return got, nil
}
