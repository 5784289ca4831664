package iam

import "github.com/nimbuscloud/nimbus/internal/store"

// Entity kinds as stored in the shared tables (attachments, inline policies,
// tags).
const (
	KindUser            = "user"
	KindGroup           = "group"
	KindRole            = "role"
	KindPolicy          = "policy"           // tags only; entity_key is the policy ARN
	KindInstanceProfile = "instance-profile" // tags only
)

// Schema is IAM's tables. Names are unique per account case-insensitively,
// as in AWS: each entity keeps its name as given and a lower-cased name_key.
// Times are unix milliseconds. Policy documents are stored as the client
// sent them (decoded JSON text); the api layer URL-encodes them on output.
func Schema() store.Schema {
	return store.Schema{Component: "iam", Migrations: []store.Migration{{
		Version: 1,
		Name:    "users groups roles profiles policies",
		SQL: `
CREATE TABLE iam_users (
	account_id   TEXT NOT NULL,
	name_key     TEXT NOT NULL,
	name         TEXT NOT NULL,
	id           TEXT NOT NULL UNIQUE,
	path         TEXT NOT NULL,
	arn          TEXT NOT NULL,
	boundary_arn TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (account_id, name_key)
);
CREATE TABLE iam_groups (
	account_id TEXT NOT NULL,
	name_key   TEXT NOT NULL,
	name       TEXT NOT NULL,
	id         TEXT NOT NULL UNIQUE,
	path       TEXT NOT NULL,
	arn        TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, name_key)
);
CREATE TABLE iam_group_members (
	account_id TEXT NOT NULL,
	group_key  TEXT NOT NULL,
	user_key   TEXT NOT NULL,
	PRIMARY KEY (account_id, group_key, user_key)
);
CREATE INDEX iam_group_members_by_user ON iam_group_members(account_id, user_key);
CREATE TABLE iam_roles (
	account_id           TEXT NOT NULL,
	name_key             TEXT NOT NULL,
	name                 TEXT NOT NULL,
	id                   TEXT NOT NULL UNIQUE,
	path                 TEXT NOT NULL,
	arn                  TEXT NOT NULL,
	trust_policy         TEXT NOT NULL,
	description          TEXT NOT NULL DEFAULT '',
	max_session_duration BIGINT NOT NULL,
	boundary_arn         TEXT NOT NULL DEFAULT '',
	created_at           BIGINT NOT NULL,
	last_used_at         BIGINT NOT NULL DEFAULT 0,
	last_used_region     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (account_id, name_key)
);
CREATE TABLE iam_instance_profiles (
	account_id TEXT NOT NULL,
	name_key   TEXT NOT NULL,
	name       TEXT NOT NULL,
	id         TEXT NOT NULL UNIQUE,
	path       TEXT NOT NULL,
	arn        TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, name_key)
);
CREATE TABLE iam_instance_profile_roles (
	account_id  TEXT NOT NULL,
	profile_key TEXT NOT NULL,
	role_key    TEXT NOT NULL,
	PRIMARY KEY (account_id, profile_key, role_key)
);
CREATE INDEX iam_instance_profile_roles_by_role ON iam_instance_profile_roles(account_id, role_key);
CREATE TABLE iam_tags (
	account_id TEXT NOT NULL,
	kind       TEXT NOT NULL,
	entity_key TEXT NOT NULL,
	key_lower  TEXT NOT NULL,
	tag_key    TEXT NOT NULL,
	value      TEXT NOT NULL,
	PRIMARY KEY (account_id, kind, entity_key, key_lower)
);
CREATE TABLE iam_policies (
	account_id      TEXT NOT NULL,
	arn             TEXT NOT NULL,
	name_key        TEXT NOT NULL,
	name            TEXT NOT NULL,
	id              TEXT NOT NULL UNIQUE,
	path            TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	default_version TEXT NOT NULL,
	next_version    BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	PRIMARY KEY (account_id, arn),
	UNIQUE (account_id, name_key)
);
CREATE TABLE iam_policy_versions (
	account_id TEXT NOT NULL,
	policy_arn TEXT NOT NULL,
	version_id TEXT NOT NULL,
	document   TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, policy_arn, version_id)
);
CREATE TABLE iam_attachments (
	account_id TEXT NOT NULL,
	kind       TEXT NOT NULL,
	entity_key TEXT NOT NULL,
	policy_arn TEXT NOT NULL,
	PRIMARY KEY (account_id, kind, entity_key, policy_arn)
);
CREATE INDEX iam_attachments_by_policy ON iam_attachments(account_id, policy_arn);
CREATE TABLE iam_inline_policies (
	account_id TEXT NOT NULL,
	kind       TEXT NOT NULL,
	entity_key TEXT NOT NULL,
	name_key   TEXT NOT NULL,
	name       TEXT NOT NULL,
	document   TEXT NOT NULL,
	PRIMARY KEY (account_id, kind, entity_key, name_key)
);
CREATE TABLE iam_account_aliases (
	account_id TEXT PRIMARY KEY,
	alias      TEXT NOT NULL UNIQUE
);
`,
	}}}
}
