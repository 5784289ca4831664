package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/config"
	"github.com/nimbuscloud/nimbus/internal/loadgen"
)

func runBench(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "s3" {
		return runBenchS3(ctx, args[1:], env, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "s3-multipart" {
		return runBenchMultipart(ctx, args[1:], env, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "gateway" {
		fmt.Fprintln(stderr, "usage: nimbus bench gateway|s3|s3-multipart [flags] (-h for each)\n(credentials and region from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL)")
		return errors.New("unknown bench")
	}
	getenv := envLookup(env)
	o := loadgen.Options{}
	fs := flag.NewFlagSet("nimbus bench gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Endpoint, "endpoint", getenv("AWS_ENDPOINT_URL"), "region endpoint")
	fs.StringVar(&o.Region, "region", getenv("AWS_REGION"), "region")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "concurrent clients")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long to run")
	fs.IntVar(&o.Pool, "pool", 256, "distinct pre-signed requests")
	fs.Float64Var(&o.Rate, "rate", 0, "total requests/s to pace at (0: as fast as the server answers)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	o.AccessKey, o.SecretKey = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if o.Endpoint == "" || o.AccessKey == "" || o.SecretKey == "" {
		return errors.New("bench gateway needs AWS_ENDPOINT_URL (or --endpoint), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Concurrency < 1 || o.Duration <= 0 || o.Duration > 10*time.Minute {
		return errors.New("want --concurrency >= 1 and 0 < --duration <= 10m")
	}
	res, err := loadgen.GetCallerIdentity(ctx, o)
	if err != nil {
		return err
	}
	mode := "closed-loop"
	if o.Rate > 0 {
		mode = fmt.Sprintf("paced=%.0f/s", o.Rate)
	}
	fmt.Fprintf(stdout, "sts:GetCallerIdentity concurrency=%d %s %s\n", o.Concurrency, mode, res)
	return nil
}

func runBenchS3(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	getenv := envLookup(env)
	o := loadgen.S3Options{}
	var size string
	fs := flag.NewFlagSet("nimbus bench s3", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s3TargetFlags(fs, getenv, &o.S3Target)
	fs.IntVar(&o.Concurrency, "concurrency", 32, "concurrent clients")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each phase runs")
	fs.StringVar(&size, "size", "4KiB", "object size, e.g. 4KiB, 1MiB, 64MiB")
	fs.IntVar(&o.Keys, "keys", 1024, "distinct keys")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n, err := config.ParseBytes(size)
	if err != nil || n < 0 || n > 5<<30 {
		return fmt.Errorf("--size: want 0..5GiB, got %q", size)
	}
	o.Size = n
	if err := resolveS3Target(&o.S3Target, getenv, "bench s3"); err != nil {
		return err
	}
	if o.Concurrency < 1 || o.Duration <= 0 || o.Duration > 10*time.Minute {
		return errors.New("want --concurrency >= 1 and 0 < --duration <= 10m")
	}
	results, err := loadgen.S3(ctx, o)
	if err != nil {
		return err
	}
	for _, r := range results {
		fmt.Fprintf(stdout, "s3 size=%s concurrency=%d %s\n", size, o.Concurrency, r)
	}
	return nil
}

func runBenchMultipart(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	getenv := envLookup(env)
	o := loadgen.MultipartOptions{}
	var size, part string
	fs := flag.NewFlagSet("nimbus bench s3-multipart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s3TargetFlags(fs, getenv, &o.S3Target)
	fs.StringVar(&o.Key, "key", "bench/multipart", "object key")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "parts in flight")
	fs.StringVar(&size, "size", "1GiB", "object size")
	fs.StringVar(&part, "part-size", "16MiB", "part size (>= 5MiB)")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "sample this process's resident memory during the upload")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.Size, err = config.ParseBytes(size); err != nil || o.Size < 1 {
		return fmt.Errorf("--size: want a positive size, got %q", size)
	}
	if o.PartSize, err = config.ParseBytes(part); err != nil || o.PartSize < 5<<20 || o.PartSize > 5<<30 {
		return fmt.Errorf("--part-size: want 5MiB..5GiB, got %q", part)
	}
	if err := resolveS3Target(&o.S3Target, getenv, "bench s3-multipart"); err != nil {
		return err
	}
	r, err := loadgen.Multipart(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "s3 multipart size=%s part=%s concurrency=%d %s\n", size, part, o.Concurrency, r)
	return nil
}

// envLookup returns a getenv over env.
func envLookup(env []string) func(string) string {
	return func(k string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
}

// s3TargetFlags declares the endpoint, region and bucket flags of the S3
// benches.
func s3TargetFlags(fs *flag.FlagSet, getenv func(string) string, t *loadgen.S3Target) {
	fs.StringVar(&t.Endpoint, "endpoint", getenv("AWS_ENDPOINT_URL"), "region endpoint")
	fs.StringVar(&t.Region, "region", getenv("AWS_REGION"), "region")
	fs.StringVar(&t.Bucket, "bucket", "nimbus-bench", "bucket (created if missing)")
}

// resolveS3Target takes the credentials from the environment and checks
// that the target is complete.
func resolveS3Target(t *loadgen.S3Target, getenv func(string) string, cmd string) error {
	t.AccessKey, t.SecretKey = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if t.Endpoint == "" || t.AccessKey == "" || t.SecretKey == "" {
		return errors.New(cmd + " needs AWS_ENDPOINT_URL (or --endpoint), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if t.Region == "" {
		t.Region = "us-east-1"
	}
	return nil
}
