package interaction

import "time"

// Event is what an interaction is for.
type Event string

// The events of Logto's interaction API.
const (
	SignIn         Event = "SignIn"
	Register       Event = "Register"
	ForgotPassword Event = "ForgotPassword"
)

// Interaction is the stored document. Secrets never appear in it in clear:
// a password set in the profile is kept only as its hash.
type Interaction struct {
	TenantID  string    `json:"tenantId"`
	Event     Event     `json:"event"`
	CreatedAt time.Time `json:"createdAt"`
}

// State is the public view of an interaction, for hosted pages.
type State struct {
	Event Event `json:"event"`
}

func (ix *Interaction) state() State {
	return State{Event: ix.Event}
}
