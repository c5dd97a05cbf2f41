package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/google/uuid"
)

type cliTenant struct {
	ID       string   `json:"id"`
	Slug     string   `json:"slug"`
	Hosts    []string `json:"hosts"`
	Settings struct {
		DisplayName string `json:"displayName"`
	} `json:"settings"`
	CreatedAt string `json:"createdAt"`
}

func (c *cli) tenantTable(ts ...cliTenant) func(w *tabwriter.Writer) error {
	return func(w *tabwriter.Writer) error {
		fmt.Fprintln(w, "ID\tSLUG\tNAME\tHOSTS")
		for _, t := range ts {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.ID, t.Slug, t.Settings.DisplayName, strings.Join(t.Hosts, ","))
		}
		return nil
	}
}

func (c *cli) tenantList(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if _, err := parse(fs, args); err != nil {
		return err
	}
	raw, _, err := c.do(ctx, "GET", "/api/admin/tenants", nil)
	if err != nil {
		return err
	}
	var list struct {
		Tenants []cliTenant `json:"tenants"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	return c.emit(raw, c.tenantTable(list.Tenants...))
}

// tenantBody builds the create and update body from the common flags.
func tenantBody(hosts multi, name, settings string) (map[string]any, error) {
	body := map[string]any{}
	if len(hosts) > 0 {
		body["hosts"] = []string(hosts)
	}
	s := map[string]any{}
	if settings != "" {
		if err := json.Unmarshal([]byte(settings), &s); err != nil {
			return nil, fmt.Errorf("--settings: want a JSON object: %w", err)
		}
	}
	if name != "" {
		s["displayName"] = name
	}
	if len(s) > 0 {
		body["settings"] = s
	}
	return body, nil
}

func (c *cli) tenantCreate(ctx context.Context, fs *flag.FlagSet, args []string) error {
	var hosts multi
	slug := fs.String("slug", "", "the tenant's slug (required)")
	fs.Var(&hosts, "host", "a custom domain (repeatable)")
	name := fs.String("display-name", "", "display name")
	settings := fs.String("settings", "", "settings to merge, as a JSON object")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *slug == "" {
		return errors.New("--slug is required")
	}
	body, err := tenantBody(hosts, *name, *settings)
	if err != nil {
		return err
	}
	body["slug"] = *slug
	raw, _, err := c.do(ctx, "POST", "/api/admin/tenants", body)
	if err != nil {
		return err
	}
	var t cliTenant
	if err := json.Unmarshal(raw, &t); err != nil {
		return err
	}
	return c.emit(raw, c.tenantTable(t))
}

// tenantUpdate reads the tenant and sends the change with If-Match, so a
// concurrent change is reported (409) rather than overwritten.
func (c *cli) tenantUpdate(ctx context.Context, fs *flag.FlagSet, args []string) error {
	var hosts multi
	fs.Var(&hosts, "host", "replace the hosts (repeatable)")
	name := fs.String("display-name", "", "display name")
	settings := fs.String("settings", "", "settings to merge, as a JSON object")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("want one TENANT (id or slug)")
	}
	id, err := c.tenantID(ctx, pos[0])
	if err != nil {
		return err
	}
	body, err := tenantBody(hosts, *name, *settings)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return errors.New("nothing to change: give --host, --display-name or --settings")
	}
	_, hdr, err := c.do(ctx, "GET", "/api/admin/tenants/"+id, nil)
	if err != nil {
		return err
	}
	raw, _, err := c.do(ctx, "PATCH", "/api/admin/tenants/"+id, body, "If-Match", hdr.Get("ETag"))
	if err != nil {
		return err
	}
	var t cliTenant
	if err := json.Unmarshal(raw, &t); err != nil {
		return err
	}
	return c.emit(raw, c.tenantTable(t))
}

// tenantID resolves a tenant id or slug to an id.
func (c *cli) tenantID(ctx context.Context, ref string) (string, error) {
	if ref == "" {
		return "", errors.New("--tenant is required")
	}
	if uuid.Validate(ref) == nil {
		return ref, nil
	}
	raw, _, err := c.do(ctx, "GET", "/api/admin/tenants", nil)
	if err != nil {
		return "", err
	}
	var list struct {
		Tenants []cliTenant `json:"tenants"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", err
	}
	for _, t := range list.Tenants {
		if t.Slug == ref {
			return t.ID, nil
		}
	}
	return "", fmt.Errorf("no tenant with id or slug %q", ref)
}

type cliApp struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	RedirectURIs []string `json:"redirectUris"`
	Secret       string   `json:"secret"`
}

func appTable(apps ...cliApp) func(w *tabwriter.Writer) error {
	return func(w *tabwriter.Writer) error {
		withSecret := len(apps) == 1 && apps[0].Secret != ""
		if withSecret {
			fmt.Fprintln(w, "ID\tNAME\tTYPE\tREDIRECT URIS\tSECRET (shown once)")
		} else {
			fmt.Fprintln(w, "ID\tNAME\tTYPE\tREDIRECT URIS")
		}
		for _, a := range apps {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s", a.ID, a.Name, a.Type, strings.Join(a.RedirectURIs, ","))
			if withSecret {
				fmt.Fprintf(w, "\t%s", a.Secret)
			}
			fmt.Fprintln(w)
		}
		return nil
	}
}

func (c *cli) appList(ctx context.Context, fs *flag.FlagSet, args []string) error {
	tenant := fs.String("tenant", "", "tenant id or slug (required)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	id, err := c.tenantID(ctx, *tenant)
	if err != nil {
		return err
	}
	raw, _, err := c.do(ctx, "GET", "/api/admin/tenants/"+id+"/applications", nil)
	if err != nil {
		return err
	}
	var apps []cliApp
	var wrapped struct {
		Applications []cliApp `json:"applications"`
	}
	if json.Unmarshal(raw, &wrapped) == nil {
		apps = wrapped.Applications
	} else if err := json.Unmarshal(raw, &apps); err != nil {
		return err
	}
	return c.emit(raw, appTable(apps...))
}

func (c *cli) appCreate(ctx context.Context, fs *flag.FlagSet, args []string) error {
	var redirects, postLogout, cors multi
	tenant := fs.String("tenant", "", "tenant id or slug (required)")
	name := fs.String("name", "", "application name (required)")
	typ := fs.String("type", "", "application type (required)")
	fs.Var(&redirects, "redirect-uri", "an allowed redirect URI (repeatable)")
	fs.Var(&postLogout, "post-logout-redirect-uri", "an allowed post-logout redirect URI (repeatable)")
	fs.Var(&cors, "cors-origin", "an allowed CORS origin (repeatable)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" || *typ == "" {
		return errors.New("--name and --type are required")
	}
	id, err := c.tenantID(ctx, *tenant)
	if err != nil {
		return err
	}
	body := map[string]any{"name": *name, "type": *typ, "redirectUris": nonNil(redirects),
		"postLogoutRedirectUris": nonNil(postLogout), "corsOrigins": nonNil(cors)}
	raw, _, err := c.do(ctx, "POST", "/api/admin/tenants/"+id+"/applications", body)
	if err != nil {
		return err
	}
	var a cliApp
	if err := json.Unmarshal(raw, &a); err != nil {
		return err
	}
	return c.emit(raw, appTable(a))
}

func nonNil(m multi) []string {
	if m == nil {
		return []string{}
	}
	return m
}

func (c *cli) appRotate(ctx context.Context, fs *flag.FlagSet, args []string) error {
	id, one, err := c.tenantAndOne(ctx, fs, args, "APP_ID")
	if err != nil {
		return err
	}
	raw, _, err := c.do(ctx, "POST", "/api/admin/tenants/"+id+"/applications/"+url.PathEscape(one)+"/secret", nil)
	if err != nil {
		return err
	}
	var a cliApp
	if err := json.Unmarshal(raw, &a); err != nil {
		return err
	}
	if a.ID == "" {
		a.ID = one
	}
	return c.emit(raw, func(w *tabwriter.Writer) error {
		fmt.Fprintln(w, "ID\tSECRET (shown once)")
		fmt.Fprintf(w, "%s\t%s\n", a.ID, a.Secret)
		return nil
	})
}

type cliUser struct {
	ID           string `json:"id"`
	Username     string `json:"username"`
	PrimaryEmail string `json:"primaryEmail"`
	PrimaryPhone string `json:"primaryPhone"`
	Suspended    bool   `json:"suspended"`
	Invited      *bool  `json:"invited"`
	CreatedAt    string `json:"createdAt"`
}

func userTable(us ...cliUser) func(w *tabwriter.Writer) error {
	return func(w *tabwriter.Writer) error {
		fmt.Fprintln(w, "ID\tUSERNAME\tEMAIL\tPHONE\tSTATUS")
		for _, u := range us {
			status := "active"
			if u.Suspended {
				status = "suspended"
			}
			if u.Invited != nil {
				status = "invited"
				if !*u.Invited {
					status = "invitation not sent"
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.PrimaryEmail, u.PrimaryPhone, status)
		}
		return nil
	}
}

func (c *cli) userList(ctx context.Context, fs *flag.FlagSet, args []string) error {
	tenant := fs.String("tenant", "", "tenant id or slug (required)")
	search := fs.String("search", "", "keep users whose id, username, email or phone contains this")
	limit := fs.Int("limit", 50, "users per page (1-200)")
	all := fs.Bool("all", false, "follow every page")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	id, err := c.tenantID(ctx, *tenant)
	if err != nil {
		return err
	}
	var users []cliUser
	var pages []json.RawMessage
	after := ""
	for {
		q := url.Values{"limit": {strconv.Itoa(*limit)}}
		if *search != "" {
			q.Set("search", *search)
		}
		if after != "" {
			q.Set("after", after)
		}
		raw, _, err := c.do(ctx, "GET", "/api/admin/tenants/"+id+"/users?"+q.Encode(), nil)
		if err != nil {
			return err
		}
		var page struct {
			Users []cliUser `json:"users"`
			Next  string    `json:"next"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return err
		}
		users, pages = append(users, page.Users...), append(pages, raw)
		if !*all || page.Next == "" {
			break
		}
		after = page.Next
	}
	raw := []byte(pages[0])
	if len(pages) > 1 {
		raw, _ = json.Marshal(map[string]any{"users": users})
	}
	return c.emit(raw, userTable(users...))
}

func (c *cli) userCreate(ctx context.Context, fs *flag.FlagSet, args []string) error {
	tenant := fs.String("tenant", "", "tenant id or slug (required)")
	username := fs.String("username", "", "username")
	email := fs.String("email", "", "primary email")
	phone := fs.String("phone", "", "primary phone (E.164)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	invite := fs.Bool("invite", false, "create without a password and send an invitation")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *pwStdin == *invite {
		return errors.New("give exactly one of --password-stdin and --invite")
	}
	id, err := c.tenantID(ctx, *tenant)
	if err != nil {
		return err
	}
	body := map[string]any{}
	for k, v := range map[string]string{"username": *username, "primaryEmail": *email, "primaryPhone": *phone} {
		if v != "" {
			body[k] = v
		}
	}
	if *invite {
		body["invite"] = true
	} else {
		pw, err := c.readPassword()
		if err != nil {
			return err
		}
		body["password"] = pw
	}
	raw, _, err := c.do(ctx, "POST", "/api/admin/tenants/"+id+"/users", body)
	if err != nil {
		return err
	}
	var u cliUser
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	return c.emit(raw, userTable(u))
}

func (c *cli) userDelete(ctx context.Context, fs *flag.FlagSet, args []string) error {
	id, one, err := c.tenantAndOne(ctx, fs, args, "USER_ID")
	if err != nil {
		return err
	}
	if _, _, err := c.do(ctx, "DELETE", "/api/admin/tenants/"+id+"/users/"+url.PathEscape(one), nil); err != nil {
		return err
	}
	return c.emit([]byte(`{"deleted":`+strconv.Quote(one)+`}`), func(w *tabwriter.Writer) error {
		fmt.Fprintf(w, "deleted %s\n", one)
		return nil
	})
}

// tenantAndOne parses "--tenant TENANT ONE", the shape of the commands that
// act on one thing of a tenant, and resolves the tenant.
func (c *cli) tenantAndOne(ctx context.Context, fs *flag.FlagSet, args []string, what string) (tenantID, one string, err error) {
	tenant := fs.String("tenant", "", "tenant id or slug (required)")
	pos, err := parse(fs, args)
	if err != nil {
		return "", "", err
	}
	if len(pos) != 1 {
		return "", "", errors.New("want one " + what)
	}
	tenantID, err = c.tenantID(ctx, *tenant)
	return tenantID, pos[0], err
}
