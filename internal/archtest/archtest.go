// Package archtest holds tests of the codebase's own rules: which packages may import which
// integration library (STYLE.md §0.2), and that every query is scoped to a tenant (§7). Test-only.
package archtest
