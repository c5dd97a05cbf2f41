package tenant

// Delivers reports whether the tenant can send one-time codes over channel
// ("email" or "phone"): a configured connector, or in dev mode the log.
// The hosted pages offer code sign-in only where it can work.
func (t *Tenant) Delivers(channel string) bool {
	c := t.Settings.Connectors
	if channel == "phone" {
		return (c.SMS.Type == "webhook" && c.SMS.Webhook != nil) || (t.Dev && c.SMS.Type != "webhook")
	}
	return (c.Email.Type == "smtp" && c.Email.SMTP != nil) || (t.Dev && c.Email.Type != "smtp")
}
