package store

import (
	"fmt"
	"regexp"
)

// Schema is one component's tables, as an ordered list of migrations. Each
// service owns its Schema and its tables; table names carry the component's
// name as a prefix (iam_users, ec2_instances) so components never collide.
type Schema struct {
	Component  string // e.g. "iam"; [a-z][a-z0-9_]*
	Migrations []Migration
}

// Migration is one step of a Schema. Once released, a migration never changes:
// fix mistakes with a new one.
type Migration struct {
	Version int    // 1, 2, 3 ... strictly increasing within the Schema
	Name    string // short description, recorded in schema_migrations
	// SQL is portable DDL/DML, possibly several statements separated by ';'.
	// On PostgreSQL the type name BLOB is rewritten to BYTEA.
	SQL string
	// Postgres, when set, replaces SQL on PostgreSQL verbatim (no rewriting).
	Postgres string
}

// MigrationsTable is the table, shared by all components, that records which
// migrations ran: (component, version, name, applied_at unix ms).
const MigrationsTable = "schema_migrations"

var componentRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Validate checks the component name and that versions start at 1 or more, are
// strictly increasing, and that every migration has a name and SQL.
func (s Schema) Validate() error {
	if !componentRE.MatchString(s.Component) {
		return fmt.Errorf("store: schema component %q must match %s", s.Component, componentRE)
	}
	prev := 0
	for i, m := range s.Migrations {
		if m.Version <= prev {
			return fmt.Errorf("store: schema %s: migration #%d has version %d, want > %d", s.Component, i, m.Version, prev)
		}
		if m.Name == "" || (m.SQL == "" && m.Postgres == "") {
			return fmt.Errorf("store: schema %s: migration %d needs a name and SQL", s.Component, m.Version)
		}
		prev = m.Version
	}
	return nil
}

// Pending returns the migrations of s not in applied (version -> name), in order.
// It fails when the database has a version under a different name (the history
// was edited) or a version newer than s knows (the database was migrated by a
// newer binary).
func (s Schema) Pending(applied map[int]string) ([]Migration, error) {
	known := make(map[int]bool, len(s.Migrations))
	var out []Migration
	for _, m := range s.Migrations {
		known[m.Version] = true
		name, ok := applied[m.Version]
		switch {
		case !ok:
			out = append(out, m)
		case name != m.Name:
			return nil, fmt.Errorf("store: schema %s: version %d was applied as %q but is now %q", s.Component, m.Version, name, m.Name)
		}
	}
	for v := range applied {
		if !known[v] {
			return nil, fmt.Errorf("store: schema %s: database has version %d which this binary does not know; it was migrated by a newer release", s.Component, v)
		}
	}
	return out, nil
}
