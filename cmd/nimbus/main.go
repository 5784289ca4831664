// Command nimbus runs a nimbus region and administers it.
//
//	nimbus server                  start a region (all services, one endpoint)
//	nimbus admin accounts create   create an account and print its root credentials
//	nimbus admin accounts list     list accounts
//	nimbus admin credentials       print an account's root credentials as export lines
//	nimbus bench gateway           load-test a running region with signed requests
//	nimbus version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second SIGINT/SIGTERM now kills the process at once
	}()
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "nimbus:", err)
		os.Exit(1)
	}
}

const usage = `usage: nimbus <command> [flags]

commands:
  server                 start a region: every service on one endpoint
  admin accounts create  create an account and print its root credentials
  admin accounts list    list the region's accounts
  admin credentials      print an account's root credentials as export lines
  admin storage durability  expected annual object loss per storage class
  admin storage status   scrub/heal counters and drive health of the running region
  bench gateway          measure signed-request throughput against a running region
  bench s3               4 KiB..5 GiB PUT then GET phases (aws-sdk-go-v2, concurrency 32)
  bench s3-multipart     one multipart upload; --server-pid samples the server's memory
  version                print the version

Run 'nimbus <command> -h' for a command's flags.
`

func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing command")
	}
	switch args[0] {
	case "server":
		return runServer(ctx, args[1:], env, stdout, stderr)
	case "admin":
		return runAdmin(ctx, args[1:], env, stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], env, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "nimbus", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
