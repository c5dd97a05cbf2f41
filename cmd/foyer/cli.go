package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

// The admin CLI: `foyer tenant|app|user ...` talks to a running server's
// admin API (FOYER_URL, FOYER_ADMIN_KEY) and prints tables, or the API's
// JSON with --json. `foyer` with no command (or only flags) runs the server.

// cliUsage is printed by `foyer -h` after the server's flags.
const cliUsage = `
Admin commands (talk to a running server: FOYER_URL, default http://127.0.0.1:3001,
and FOYER_ADMIN_KEY; add --json to any of them for the API's JSON):

  foyer tenant list
  foyer tenant create --slug SLUG [--host HOST]... [--display-name NAME] [--settings JSON]
  foyer tenant update TENANT [--host HOST]... [--display-name NAME] [--settings JSON]
  foyer app list --tenant TENANT
  foyer app create --tenant TENANT --name NAME --type TYPE [--redirect-uri URI]...
                   [--post-logout-redirect-uri URI]... [--cors-origin ORIGIN]...
  foyer app rotate-secret --tenant TENANT APP_ID
  foyer user list --tenant TENANT [--search TEXT] [--limit N] [--all]
  foyer user create --tenant TENANT [--username NAME] [--email EMAIL] [--phone PHONE]
                    (--password-stdin | --invite)
  foyer user delete --tenant TENANT USER_ID

TENANT is a tenant id or slug. Passwords are read from standard input, never
from the command line, where other users of the machine could see them.
`

// isCLI reports whether args name an admin command.
func isCLI(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "tenant", "app", "user":
		return true
	}
	return false
}

// cli is one admin command's environment.
type cli struct {
	base   string
	key    string
	http   *http.Client
	stdin  io.Reader
	stdout io.Writer
	json   bool
}

// runCLI runs an admin command.
func runCLI(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{base: strings.TrimRight(getenv("FOYER_URL"), "/"), key: getenv("FOYER_ADMIN_KEY"),
		http: &http.Client{Timeout: 30 * time.Second}, stdin: stdin, stdout: stdout}
	if c.base == "" {
		c.base = "http://127.0.0.1:3001"
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, cliUsage)
		return fmt.Errorf("%s: want a subcommand", args[0])
	}
	cmd := args[0] + " " + args[1]
	run, ok := map[string]func(ctx context.Context, fs *flag.FlagSet, args []string) error{
		"tenant list": c.tenantList, "tenant create": c.tenantCreate, "tenant update": c.tenantUpdate,
		"app list": c.appList, "app create": c.appCreate, "app rotate-secret": c.appRotate,
		"user list": c.userList, "user create": c.userCreate, "user delete": c.userDelete,
	}[cmd]
	if !ok {
		fmt.Fprint(stderr, cliUsage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	fs := flag.NewFlagSet("foyer "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&c.json, "json", false, "print the API's JSON")
	if c.key == "" {
		return errors.New("FOYER_ADMIN_KEY is not set")
	}
	return run(ctx, fs, args[2:])
}

// parse parses flags that may come before or after positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// apiError is the error envelope, for messages.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	Details struct {
		Fields []struct {
			Field string `json:"field"`
			Rule  string `json:"rule"`
			Param string `json:"param"`
		} `json:"fields"`
	} `json:"details"`
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	for _, f := range e.Details.Fields {
		msg += fmt.Sprintf("\n  %s: %s %s", f.Field, f.Rule, f.Param)
	}
	return msg
}

// do calls the admin API; a non-2xx answer is an *apiError.
func (c *cli) do(ctx context.Context, method, path string, body any, header ...string) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("%s %s: %w", method, c.base, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		e := &apiError{Status: res.StatusCode}
		if json.Unmarshal(b, e) != nil || e.Code == "" {
			e.Code, e.Message = "error", strings.TrimSpace(string(b))
		}
		return nil, nil, e
	}
	return b, res.Header, nil
}

// emit prints raw JSON (--json) or, through table, a table.
func (c *cli) emit(raw []byte, table func(w *tabwriter.Writer) error) error {
	if c.json {
		var out bytes.Buffer
		if len(raw) == 0 {
			raw = []byte("{}")
		}
		if err := json.Indent(&out, raw, "", "  "); err != nil {
			return err
		}
		out.WriteByte('\n')
		_, err := c.stdout.Write(out.Bytes())
		return err
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	if err := table(w); err != nil {
		return err
	}
	return w.Flush()
}

// readPassword reads one line from standard input.
func (c *cli) readPassword() (string, error) {
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("--password-stdin: no password on standard input")
	}
	return pw, nil
}
