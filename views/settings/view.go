// Package settings renders the workspace settings page (owners and admins): the workspace's name,
// its time zone and the default country used to read phone numbers written without a country
// code. It takes view models only.
package settings

import (
	"slices"

	"github.com/wagate/wagate/views/portalui"
)

// FormID is the settings form, which htmx swaps in place when it comes back with errors.
const FormID = "settings-form"

// Page is the settings page.
type Page struct {
	CSRFToken string
	PlanName  string
	Form      Form
}

// Form is the settings form. Timezone is the select's choice, OtherTimezone the free-text fallback
// for a zone the list does not hold (it wins when filled in).
type Form struct {
	Name           string
	Timezone       string
	OtherTimezone  string
	DefaultCountry string
	Errors         portalui.Errors
}

// Zone is one choice of the time zone select.
type Zone struct {
	ID    string
	Label string
}

// CommonZones are the time zones the select offers; any other IANA zone can be typed in.
var CommonZones = []Zone{
	{"UTC", "UTC"},
	{"Europe/London", "London, Lisbon, Dublin"},
	{"Europe/Berlin", "Berlin, Paris, Madrid, Rome"},
	{"Europe/Amsterdam", "Amsterdam, Brussels"},
	{"Europe/Warsaw", "Warsaw, Prague, Budapest"},
	{"Europe/Athens", "Athens, Bucharest, Helsinki"},
	{"Europe/Istanbul", "Istanbul"},
	{"Europe/Moscow", "Moscow"},
	{"Africa/Lagos", "Lagos, Kinshasa"},
	{"Africa/Cairo", "Cairo"},
	{"Africa/Johannesburg", "Johannesburg"},
	{"Africa/Nairobi", "Nairobi"},
	{"Asia/Dubai", "Dubai, Abu Dhabi"},
	{"Asia/Riyadh", "Riyadh"},
	{"Asia/Karachi", "Karachi"},
	{"Asia/Kolkata", "India (Kolkata, Mumbai)"},
	{"Asia/Dhaka", "Dhaka"},
	{"Asia/Bangkok", "Bangkok, Hanoi"},
	{"Asia/Jakarta", "Jakarta"},
	{"Asia/Singapore", "Singapore, Kuala Lumpur"},
	{"Asia/Manila", "Manila"},
	{"Asia/Hong_Kong", "Hong Kong"},
	{"Asia/Shanghai", "China (Shanghai)"},
	{"Asia/Tokyo", "Tokyo"},
	{"Asia/Seoul", "Seoul"},
	{"Australia/Perth", "Perth"},
	{"Australia/Sydney", "Sydney, Melbourne"},
	{"Pacific/Auckland", "Auckland"},
	{"America/Sao_Paulo", "São Paulo"},
	{"America/Argentina/Buenos_Aires", "Buenos Aires"},
	{"America/Bogota", "Bogotá, Lima"},
	{"America/Mexico_City", "Mexico City"},
	{"America/New_York", "Eastern Time (New York)"},
	{"America/Chicago", "Central Time (Chicago)"},
	{"America/Denver", "Mountain Time (Denver)"},
	{"America/Los_Angeles", "Pacific Time (Los Angeles)"},
}

// IsCommonZone reports whether id is one of CommonZones.
func IsCommonZone(id string) bool {
	return slices.ContainsFunc(CommonZones, func(z Zone) bool { return z.ID == id })
}

// Country is one choice of the default-country select.
type Country struct {
	Code        string
	Name        string
	CallingCode string
}

// Countries are the default-country choices, by name.
var Countries = []Country{
	{"AR", "Argentina", "54"}, {"AU", "Australia", "61"}, {"AT", "Austria", "43"}, {"BD", "Bangladesh", "880"},
	{"BE", "Belgium", "32"}, {"BO", "Bolivia", "591"}, {"BR", "Brazil", "55"}, {"CA", "Canada", "1"},
	{"CL", "Chile", "56"}, {"CN", "China", "86"}, {"CO", "Colombia", "57"}, {"CR", "Costa Rica", "506"},
	{"CZ", "Czechia", "420"}, {"DK", "Denmark", "45"}, {"DO", "Dominican Republic", "1"}, {"EC", "Ecuador", "593"},
	{"EG", "Egypt", "20"}, {"FI", "Finland", "358"}, {"FR", "France", "33"}, {"DE", "Germany", "49"},
	{"GH", "Ghana", "233"}, {"GR", "Greece", "30"}, {"GT", "Guatemala", "502"}, {"HK", "Hong Kong", "852"},
	{"HU", "Hungary", "36"}, {"IN", "India", "91"}, {"ID", "Indonesia", "62"}, {"IE", "Ireland", "353"},
	{"IL", "Israel", "972"}, {"IT", "Italy", "39"}, {"JP", "Japan", "81"}, {"KE", "Kenya", "254"},
	{"KW", "Kuwait", "965"}, {"MY", "Malaysia", "60"}, {"MX", "Mexico", "52"}, {"MA", "Morocco", "212"},
	{"NL", "Netherlands", "31"}, {"NZ", "New Zealand", "64"}, {"NG", "Nigeria", "234"}, {"NO", "Norway", "47"},
	{"PK", "Pakistan", "92"}, {"PA", "Panama", "507"}, {"PY", "Paraguay", "595"}, {"PE", "Peru", "51"},
	{"PH", "Philippines", "63"}, {"PL", "Poland", "48"}, {"PT", "Portugal", "351"}, {"QA", "Qatar", "974"},
	{"RO", "Romania", "40"}, {"SA", "Saudi Arabia", "966"}, {"SG", "Singapore", "65"}, {"ZA", "South Africa", "27"},
	{"KR", "South Korea", "82"}, {"ES", "Spain", "34"}, {"LK", "Sri Lanka", "94"}, {"SE", "Sweden", "46"},
	{"CH", "Switzerland", "41"}, {"TW", "Taiwan", "886"}, {"TZ", "Tanzania", "255"}, {"TH", "Thailand", "66"},
	{"TR", "Türkiye", "90"}, {"UG", "Uganda", "256"}, {"UA", "Ukraine", "380"}, {"AE", "United Arab Emirates", "971"},
	{"GB", "United Kingdom", "44"}, {"US", "United States", "1"}, {"UY", "Uruguay", "598"}, {"VE", "Venezuela", "58"},
	{"VN", "Vietnam", "84"},
}

// countryChoices are Countries plus the current code when the list lacks it, so saving the form
// never changes a country nobody touched.
func (f Form) countryChoices() []Country {
	for _, c := range Countries {
		if c.Code == f.DefaultCountry {
			return Countries
		}
	}
	if f.DefaultCountry == "" {
		return Countries
	}
	return append([]Country{{Code: f.DefaultCountry, Name: f.DefaultCountry}}, Countries...)
}

// zoneChoices are CommonZones plus the current zone when the list lacks it.
func (f Form) zoneChoices() []Zone {
	if f.Timezone == "" || IsCommonZone(f.Timezone) {
		return CommonZones
	}
	return append([]Zone{{f.Timezone, f.Timezone}}, CommonZones...)
}

func (c Country) label() string {
	if c.CallingCode == "" {
		return c.Name
	}
	return c.Name + " (+" + c.CallingCode + ")"
}

func zoneLabel(z Zone) string {
	if z.ID == z.Label {
		return z.ID
	}
	return z.Label + " · " + z.ID
}
