// Package caller carries who is calling and in what context: the resolved
// principal, source IP, transport security, request time, region and request
// ID. The wire layer builds a Caller per request and puts it in the
// context.Context handed to services; services read it, never build it.
// It must never import net/http or any api package.
package caller
