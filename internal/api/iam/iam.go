package iam

import (
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/iam"
)

// handlers binds the operations to the service.
type handlers struct{ svc *iam.Service }

// Service returns IAM's protocol declaration and operation table.
func Service(svc *iam.Service) *protocol.Service {
	h := handlers{svc: svc}
	s := &protocol.Service{
		SigningName:    "iam",
		Protocols:      []protocol.Kind{protocol.Query},
		Version:        "2010-05-08",
		XMLNamespace:   "https://iam.amazonaws.com/doc/2010-05-08/",
		ValidationCode: "ValidationError",
		MapError:       mapError,
	}
	h.registerEntities(s) // users, groups, access keys, roles, instance profiles, tags, alias
	h.registerPolicies(s) // managed and inline policies, boundaries, account details, simulation
	return s
}
