package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/web/webtest"
)

func TestPortal_ChangePassword(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Acme")
	here := logIn(t, e, w.owner.Email, w.ownerPW)
	elsewhere := logIn(t, e, w.owner.Email, w.ownerPW)
	const next = "a brand new passphrase"

	t.Run("WrongCurrent", func(t *testing.T) {
		r := here.Post("/app/account/password", url.Values{"current_password": {"wrong password"}, "new_password": {next}, "confirm_password": {next}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.NotEmpty(t, r.TestID(t, "error-current_password"))
		require.NotContains(t, r.Body, next, "passwords are never rendered back")
	})

	t.Run("Mismatch", func(t *testing.T) {
		r := here.Post("/app/account/password", url.Values{"current_password": {w.ownerPW}, "new_password": {next}, "confirm_password": {next + "!"}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.NotEmpty(t, r.TestID(t, "error-confirm_password"))
	})

	t.Run("TooShortAsHTMX", func(t *testing.T) {
		r := htmx(t, here, e, http.MethodPost, "/app/account/password", url.Values{"current_password": {w.ownerPW}, "new_password": {"short"}, "confirm_password": {"short"}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		doc := r.Doc(t)
		require.Zero(t, doc.Find(`[data-testid="portal-shell"]`).Length(), "htmx gets the form alone")
		require.Equal(t, "password-form", doc.Find("form").First().AttrOr("id", ""))
		require.NotEmpty(t, r.TestID(t, "error-new_password"))
	})

	require.True(t, loggedIn(t, elsewhere), "failed attempts end no login")

	t.Run("Success", func(t *testing.T) {
		requireRedirect(t, "/app/account", here.Post("/app/account/password", url.Values{"current_password": {w.ownerPW}, "new_password": {next}, "confirm_password": {next}}))
		r := here.Get("/app/account")
		requireStatus(t, http.StatusOK, r)
		require.Contains(t, r.TestID(t, "flash"), "Password changed")
		require.True(t, loggedIn(t, here), "this login goes on")
		require.False(t, loggedIn(t, elsewhere), "the other login ended")
		logIn(t, e, w.owner.Email, next)
	})
}

func TestPortal_TwoFactor(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Acme")
	b := logIn(t, e, w.owner.Email, w.ownerPW)

	r := b.Get("/app/account")
	require.Equal(t, "false", r.Doc(t).Find(`[data-testid="totp-status"]`).AttrOr("data-on", ""))
	require.Equal(t, "/app/account/2fa", r.Doc(t).Find(`[data-testid="totp-setup"]`).AttrOr("href", ""))

	r = b.Get("/app/account/2fa")
	requireStatus(t, http.StatusOK, r)
	doc := r.Doc(t)
	secret := doc.Find(`[data-testid="totp-secret"]`).AttrOr("data-secret", "")
	require.NotEmpty(t, secret)
	require.Equal(t, secret, strings.ReplaceAll(r.TestID(t, "totp-secret"), " ", ""), "the key is shown to type in")
	require.True(t, strings.HasPrefix(doc.Find(`[data-testid="totp-qr"]`).AttrOr("src", ""), "data:image/png;base64,"))

	t.Run("ReloadKeepsSecret", func(t *testing.T) {
		again := b.Get("/app/account/2fa").Doc(t).Find(`[data-testid="totp-secret"]`).AttrOr("data-secret", "")
		require.Equal(t, secret, again)
	})

	t.Run("WrongCode", func(t *testing.T) {
		r := b.Post("/app/account/2fa", url.Values{"code": {"000000"}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.NotEmpty(t, r.TestID(t, "error-code"))
		require.Equal(t, secret, r.Doc(t).Find(`[data-testid="totp-secret"]`).AttrOr("data-secret", ""), "the same secret again")
		require.Nil(t, current(t, e, w.owner.ID).TOTPEnabledAt)
	})

	t.Run("Enable", func(t *testing.T) {
		code, err := totp.GenerateCode(secret, time.Now())
		require.NoError(t, err)
		requireRedirect(t, "/app/account", b.Post("/app/account/2fa", url.Values{"code": {code}}))
		require.NotNil(t, current(t, e, w.owner.ID).TOTPEnabledAt)
		r := b.Get("/app/account")
		require.Contains(t, r.TestID(t, "flash"), "Two-factor authentication is on")
		require.Equal(t, "true", r.Doc(t).Find(`[data-testid="totp-status"]`).AttrOr("data-on", ""))
		requireRedirect(t, "/app/account", b.Get("/app/account/2fa"))
		team := b.Get("/app/team").Doc(t)
		require.Equal(t, "true", team.Find(`[data-testid="member-row"][data-email="`+w.owner.Email+`"] [data-testid="member-2fa"]`).AttrOr("data-on", ""))
	})

	t.Run("DisableNeedsPassword", func(t *testing.T) {
		r := htmx(t, b, e, http.MethodPost, "/app/account/2fa/disable", url.Values{"password": {"not my password"}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.Equal(t, "totp-disable-form", r.Doc(t).Find("form").First().AttrOr("id", ""))
		require.NotEmpty(t, r.TestID(t, "error-password"))
		require.NotNil(t, current(t, e, w.owner.ID).TOTPEnabledAt)

		r = b.Post("/app/account/2fa/disable", url.Values{"password": {"not my password"}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.Equal(t, 1, r.Doc(t).Find(`[data-testid="portal-shell"]`).Length(), "without htmx, the whole page")

		requireRedirect(t, "/app/account", b.Post("/app/account/2fa/disable", url.Values{"password": {w.ownerPW}}))
		require.Nil(t, current(t, e, w.owner.ID).TOTPEnabledAt)
		require.Equal(t, "false", b.Get("/app/account").Doc(t).Find(`[data-testid="totp-status"]`).AttrOr("data-on", ""))
	})
}

func TestPortal_Settings(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Acme")
	b := logIn(t, e, w.owner.Email, w.ownerPW)

	r := b.Get("/app/settings")
	requireStatus(t, http.StatusOK, r)
	require.Equal(t, "Acme Corp", value(t, r, "settings-name"))
	require.Equal(t, "UTC", r.Doc(t).Find(`[data-testid="settings-timezone"] option[selected]`).AttrOr("value", ""))
	require.Equal(t, "US", r.Doc(t).Find(`[data-testid="settings-country"] option[selected]`).AttrOr("value", ""))

	t.Run("Save", func(t *testing.T) {
		requireRedirect(t, "/app/settings", b.Post("/app/settings", url.Values{"name": {"Acme Europe"}, "timezone": {"Europe/Berlin"}, "default_country": {"DE"}}))
		got, err := e.Services.Tenants.Get(t.Context(), w.owner.TenantID)
		require.NoError(t, err)
		require.Equal(t, []string{"Acme Europe", "Europe/Berlin", "DE"}, []string{got.Name, got.Timezone, got.DefaultCountry})
		r := b.Get("/app/settings")
		require.Contains(t, r.TestID(t, "flash"), "Settings saved")
		require.Equal(t, "Acme Europe", r.TestID(t, "workspace-name"), "the shell shows the new name")
	})

	t.Run("OtherTimezoneWins", func(t *testing.T) {
		requireRedirect(t, "/app/settings", b.Post("/app/settings", url.Values{"name": {"Acme Europe"}, "timezone": {"UTC"},
			"timezone_other": {"America/Halifax"}, "default_country": {"DE"}}))
		got, err := e.Services.Tenants.Get(t.Context(), w.owner.TenantID)
		require.NoError(t, err)
		require.Equal(t, "America/Halifax", got.Timezone)
		r := b.Get("/app/settings")
		require.Equal(t, "America/Halifax", r.Doc(t).Find(`[data-testid="settings-timezone"] option[selected]`).AttrOr("value", ""),
			"a zone outside the list is offered as it is")
	})

	t.Run("Errors", func(t *testing.T) {
		bad := url.Values{"name": {""}, "timezone": {"Mars/Olympus"}, "default_country": {"Germany"}}
		r := b.Post("/app/settings", bad)
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.NotEmpty(t, r.TestID(t, "error-name"))
		require.NotEmpty(t, r.TestID(t, "error-timezone"))
		require.NotEmpty(t, r.TestID(t, "error-default_country"))
		require.Equal(t, 1, r.Doc(t).Find(`[data-testid="portal-shell"]`).Length())

		r = htmx(t, b, e, http.MethodPost, "/app/settings", bad)
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.Zero(t, r.Doc(t).Find(`[data-testid="portal-shell"]`).Length(), "htmx gets the form alone")
		require.Equal(t, "settings-form", r.Doc(t).Find("form").First().AttrOr("id", ""))
		require.NotEmpty(t, r.TestID(t, "error-timezone"))

		got, err := e.Services.Tenants.Get(t.Context(), w.owner.TenantID)
		require.NoError(t, err)
		require.Equal(t, "Acme Europe", got.Name, "nothing changed")
	})
}
