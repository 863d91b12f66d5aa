// Package notice renders the pages that stand in for the portal while a workspace cannot act.
package notice

// TenantModel is the notice for a suspended or pending workspace.
type TenantModel struct {
	Status     string // suspended or pending
	Reason     string
	Email      string
	TenantName string
	CSRFToken  string
}

func (p TenantModel) title() string {
	if p.Status == "pending" {
		return "Your workspace is awaiting approval"
	}
	return "Your workspace is suspended"
}

func (p TenantModel) text() string {
	if p.Status == "pending" {
		return "An operator reviews new workspaces before they can link numbers or send messages. " +
			"You will be able to use Wagate as soon as yours is approved; there is nothing more to do meanwhile."
	}
	return "The platform's operator suspended this workspace: nobody in it can act, and its API keys are " +
		"refused until it is reactivated. Contact the operator to have it reactivated."
}

func (p TenantModel) class() string {
	if p.Status == "pending" {
		return "is-info is-light"
	}
	return "is-danger is-light"
}
