package catalog

import "github.com/nimbuscloud/nimbus/internal/api/protocol"

// Pending returns the declarations of services without operations yet.
func Pending() []*protocol.Service {
	return []*protocol.Service{
		{
			SigningName:    "autoscaling",
			Protocols:      []protocol.Kind{protocol.Query},
			Version:        "2011-01-01",
			XMLNamespace:   "http://autoscaling.amazonaws.com/doc/2011-01-01/",
			ValidationCode: "ValidationError",
		},
		{
			SigningName:    "elasticloadbalancing",
			Protocols:      []protocol.Kind{protocol.Query},
			Version:        "2015-12-01",
			XMLNamespace:   "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
			ValidationCode: "ValidationError",
		},
		{
			SigningName:      "monitoring",
			Protocols:        []protocol.Kind{protocol.RPCv2CBOR, protocol.JSON10, protocol.Query},
			Version:          "2010-08-01",
			XMLNamespace:     "http://monitoring.amazonaws.com/doc/2010-08-01/",
			JSONTargetPrefix: "GraniteServiceVersion20100801",
			CBORServiceName:  "GraniteServiceVersion20100801",
			QueryCompatible:  true,
			ValidationCode:   "ValidationError",
		},
	}
}
