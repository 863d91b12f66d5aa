package archtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	queryName = regexp.MustCompile(`(?m)^-- name: (\w+) :\w+`)
	// scoped matches a filter on the caller's tenant: tenant_id = @tenant_id (any table alias), or
	// id = @tenant_id on the tenants table itself.
	scoped = regexp.MustCompile(`\b(\w+\.)?(tenant_)?id\s*=\s*(@tenant_id|sqlc\.arg\(tenant_id\))`)
)

// unscoped returns the names of the queries in src that neither mention tenant_id nor are marked
// `-- tenant: global` (for the whole file, before the first query, or for one query).
func unscoped(src string) []string {
	locs := queryName.FindAllStringSubmatchIndex(src, -1)
	if len(locs) == 0 {
		return nil
	}
	if strings.Contains(src[:locs[0][0]], "-- tenant: global") {
		return nil
	}
	var bad []string
	for i, loc := range locs {
		end := len(src)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		body := src[loc[0]:end]
		if strings.Contains(body, "-- tenant: global") {
			continue
		}
		// An INSERT is scoped when the tenant it writes comes from the caller's @tenant_id.
		insert := strings.Contains(body, "INSERT INTO") && strings.Contains(body, "@tenant_id")
		if !scoped.MatchString(body) && !insert {
			bad = append(bad, src[loc[2]:loc[3]])
		}
	}
	return bad
}

// TestQueriesAreTenantScoped fails on any query in queries/ that does not filter by the caller's
// tenant (invariant 2), unless it is marked `-- tenant: global` with a reason.
func TestQueriesAreTenantScoped(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "queries", "*.sql"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, name := range unscoped(string(src)) {
			t.Errorf("%s: query %s does not filter by tenant_id = @tenant_id (mark it `-- tenant: global` with the reason if it must not)", f, name)
		}
	}
}

func TestQueriesAreTenantScoped_Checker(t *testing.T) {
	t.Parallel()
	src := `-- name: MessageGet :one
SELECT * FROM messages WHERE id = @id;

-- name: MessageGetScoped :one
SELECT * FROM messages WHERE tenant_id = @tenant_id AND id = @id;

-- name: MessageInsert :exec
INSERT INTO messages (id, tenant_id) VALUES (@id, @tenant_id);

-- name: MessageInsertAnywhere :exec
INSERT INTO messages (id, tenant_id) VALUES (@id, @other);

-- name: PlanList :many
-- tenant: global (plans belong to the platform)
SELECT * FROM plans;
`
	require.Equal(t, []string{"MessageGet", "MessageInsertAnywhere"}, unscoped(src))
	require.Empty(t, unscoped("-- tenant: global (why)\n\n"+src))
}
