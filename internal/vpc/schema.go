package vpc

import "github.com/nimbuscloud/nimbus/internal/store"

// Schema is the VPC service's tables (see the package comment).
func Schema() store.Schema {
	return store.Schema{Component: "vpc", Migrations: []store.Migration{{
		Version: 1,
		Name:    "objects addresses vnis tags",
		SQL: `
CREATE TABLE vpc_objects (
	id         TEXT NOT NULL PRIMARY KEY,
	account_id TEXT NOT NULL,
	kind       TEXT NOT NULL,
	vpc_id     TEXT NOT NULL,
	doc        TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX vpc_objects_account ON vpc_objects (account_id, kind, id);
CREATE INDEX vpc_objects_vpc ON vpc_objects (vpc_id, kind);
CREATE TABLE vpc_vnis (
	vni    BIGINT NOT NULL PRIMARY KEY,
	vpc_id TEXT NOT NULL UNIQUE
);
CREATE TABLE vpc_addresses (
	subnet_id TEXT NOT NULL,
	addr      TEXT NOT NULL,
	owner_id  TEXT NOT NULL,
	PRIMARY KEY (subnet_id, addr)
);
CREATE INDEX vpc_addresses_owner ON vpc_addresses (owner_id);
CREATE TABLE vpc_defaults (
	account_id TEXT NOT NULL PRIMARY KEY,
	vpc_id     TEXT NOT NULL
);
CREATE TABLE ec2_tags (
	resource_id   TEXT NOT NULL,
	account_id    TEXT NOT NULL,
	resource_type TEXT NOT NULL,
	tag_key       TEXT NOT NULL,
	tag_value     TEXT NOT NULL,
	PRIMARY KEY (resource_id, tag_key)
);
CREATE INDEX ec2_tags_account ON ec2_tags (account_id, resource_type);
`,
	}}}
}
