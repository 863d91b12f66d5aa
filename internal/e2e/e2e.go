// Package e2e holds the end-to-end tests: the real wagate binary run as processes, and pages driven
// in a real browser. They start processes and browsers, so they run serially in this package of
// their own. Test-only.
package e2e
