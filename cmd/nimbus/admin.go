package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/nimbuscloud/nimbus/internal/app"
	"github.com/nimbuscloud/nimbus/internal/config"
)

const adminUsage = `usage:
  nimbus admin accounts create [--name NAME] [server flags]
  nimbus admin accounts list [server flags]
  nimbus admin credentials [--account ID] [--endpoint URL] [server flags]
  nimbus admin storage durability [--afr 0.0157] [--heal-time 24h] [--drives N] [server flags]
  nimbus admin storage status [--endpoint URL] [server flags]

The admin commands open the same data directory and store as the server
(--data-dir, --store, --key-file, or their NIMBUS_* variables); they work
while the server runs.
`

func runAdmin(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) >= 2 && args[0] == "accounts" && args[1] == "create":
		var name string
		cfg, err := config.Load("nimbus admin accounts create", args[2:], env, stderr, func(fs *flag.FlagSet) {
			fs.StringVar(&name, "name", "", "account name")
		})
		if err != nil {
			return err
		}
		return withCore(ctx, cfg, func(core *app.Core) error {
			acct, key, err := core.Accounts.Create(ctx, name)
			if err != nil {
				return err
			}
			app.PrintCredentials(stdout, acct.ID, key, app.EndpointURL(cfg.Listen, false), cfg.Region, false)
			return nil
		})
	case len(args) >= 2 && args[0] == "accounts" && args[1] == "list":
		cfg, err := config.Load("nimbus admin accounts list", args[2:], env, stderr, nil)
		if err != nil {
			return err
		}
		return withCore(ctx, cfg, func(core *app.Core) error {
			accts, err := core.Accounts.List(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCOUNT\tNAME\tCREATED")
			for _, a := range accts {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Name, a.CreatedAt.Format("2006-01-02T15:04:05Z"))
			}
			return tw.Flush()
		})
	case len(args) >= 2 && args[0] == "storage" && args[1] == "status":
		return runStorageStatus(args[2:], env, stdout, stderr)
	case len(args) >= 2 && args[0] == "storage" && args[1] == "durability":
		return runStorageDurability(args[2:], env, stdout, stderr)
	case len(args) >= 1 && args[0] == "credentials":
		var acctID, endpoint string
		cfg, err := config.Load("nimbus admin credentials", args[1:], env, stderr, func(fs *flag.FlagSet) {
			fs.StringVar(&acctID, "account", "", "account ID (default: the first account)")
			fs.StringVar(&endpoint, "endpoint", "", "endpoint URL to print (default: from --listen)")
		})
		if err != nil {
			return err
		}
		if endpoint == "" {
			endpoint = app.EndpointURL(cfg.Listen, false)
		}
		return withCore(ctx, cfg, func(core *app.Core) error {
			if acctID == "" {
				accts, err := core.Accounts.List(ctx)
				if err != nil {
					return err
				}
				if len(accts) == 0 {
					return errors.New("the region has no accounts yet: start `nimbus server` once, or run `nimbus admin accounts create`")
				}
				acctID = accts[0].ID
			}
			keys, err := core.Accounts.RootKeys(ctx, acctID)
			if err != nil {
				return err
			}
			if len(keys) == 0 {
				return fmt.Errorf("account %s has no root access keys", acctID)
			}
			app.PrintCredentials(stdout, acctID, keys[0], endpoint, cfg.Region, false)
			return nil
		})
	}
	fmt.Fprint(stderr, adminUsage)
	return errors.New("unknown admin command")
}

func withCore(ctx context.Context, cfg config.Server, fn func(*app.Core) error) error {
	core, err := app.OpenCore(ctx, cfg)
	if err != nil {
		return err
	}
	defer core.Close()
	return fn(core)
}
