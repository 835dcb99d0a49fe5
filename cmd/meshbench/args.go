package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// checkArgsAsUsage makes every wrong positional argument bad input (exit 2)
// that names what was wrong: an unknown command, or an argument a command
// that takes flags only was given. Cobra reports both as plain errors.
func checkArgsAsUsage(c *cobra.Command) {
	for _, sub := range c.Commands() {
		checkArgsAsUsage(sub)
	}
	if c.HasAvailableSubCommands() {
		c.Args = unknownSubcommand
		if !c.Runnable() {
			// A command runs its Args only when it is runnable; without a
			// run of its own it shows its help, as before.
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
		return
	}
	check := c.Args
	if check == nil {
		return
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		err := check(cmd, args)
		var ue *usageError
		if err == nil || errors.As(err, &ue) {
			return err
		}
		if len(args) > 0 && cobra.NoArgs(cmd, args) != nil && check(cmd, nil) == nil {
			return usagef("%sunexpected argument %q; it takes flags only (%s --help)", where(cmd), args[0], cmd.CommandPath())
		}
		return usagef("%s%v; usage: %s", where(cmd), err, cmd.UseLine())
	}
}

// unknownSubcommand refuses any argument of a command that has
// subcommands: it is a command name that does not exist.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	hint := ""
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
	}
	return usagef("%sunknown command %q%s; want one of %s", where(cmd), args[0], hint, strings.Join(names, ", "))
}

// where prefixes a message with the subcommand it is about ("lab: "); the
// root needs none, main already says "meshbench: ".
func where(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return ""
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ") + ": "
}
