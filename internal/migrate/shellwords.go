package migrate

import "github.com/zdcd/zdcd/internal/config"

// SplitCommand splits ZDCD_MIGRATE_COMMAND into argv (config.SplitCommand, which Load already
// checked it with): zdcd runs the command itself rather than through `sh -c`, so that it can
// append `<app> <migration>` when applying one migration at a time, and so that the process group
// it signals is the command itself.
func SplitCommand(s string) ([]string, error) { return config.SplitCommand(s) }
