// Package catalog declares the RPC services whose operations have not landed
// yet (Auto Scaling, ELBv2, CloudWatch): their signing names,
// protocols, versions and namespaces, with empty operation tables, so every
// request to them is routed, authenticated and answered with InvalidAction in
// the service's own envelope. Each declaration moves to internal/api/<svc>
// when that service's first operation lands.
package catalog
