// Package awsmanaged is the catalog of AWS managed policies nimbus ships:
// AdministratorAccess, ReadOnlyAccess, AmazonS3FullAccess and the other
// common ones, under their real ARNs (arn:aws:iam::aws:policy/<path><name>).
//
// The documents are written by us from each policy's documented intent and
// cover the services nimbus implements; they are not copies of AWS's text.
// Each policy has one version (v1), a fixed creation date and a PolicyId
// derived from its name, so they are identical in every region and across
// restarts.
//
// It owns the embedded documents (documents/<Name>.json) and the metadata
// table. It must never hold mutable state or know about accounts,
// attachments or storage: package iam counts attachments per account.
package awsmanaged
