// Command zdcd-release makes Django migrations on Heroku zero-downtime. See README.md.
package main

import (
	"os"

	"github.com/zdcd/zdcd/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, cli.System()))
}
