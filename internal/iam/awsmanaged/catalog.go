package awsmanaged

import (
	"crypto/sha256"
	"embed"
	"sort"
	"strings"
	"time"
)

// ARNPrefix starts the ARN of every AWS managed policy.
const ARNPrefix = "arn:aws:iam::aws:policy"

// VersionID is the only (and default) version of every shipped policy.
const VersionID = "v1"

// Policy is one AWS managed policy.
type Policy struct {
	Name        string
	Path        string // "/" or e.g. "/service-role/"
	ARN         string
	ID          string // ANPA + 17 characters derived from the name
	Description string
	Document    string // JSON text of the default version
	CreateDate  time.Time
	UpdateDate  time.Time
}

//go:embed documents/*.json
var documents embed.FS

// entry is one row of the metadata table.
type entry struct {
	name, path, description string
}

// table lists the shipped policies; each has documents/<name>.json.
var table = []entry{
	{"AdministratorAccess", "/", "Provides full access to AWS services and resources."},
	{"PowerUserAccess", "/", "Provides full access to AWS services and resources, but does not allow management of users and groups."},
	{"ReadOnlyAccess", "/", "Provides read-only access to AWS services and resources."},
	{"ViewOnlyAccess", "/job-function/", "Lists and describes resources without reading their content."},
	{"IAMFullAccess", "/", "Provides full access to IAM."},
	{"IAMReadOnlyAccess", "/", "Provides read only access to IAM."},
	{"IAMUserChangePassword", "/", "Lets an IAM user change their own password."},
	{"AmazonS3FullAccess", "/", "Provides full access to all buckets."},
	{"AmazonS3ReadOnlyAccess", "/", "Provides read only access to all buckets."},
	{"AmazonEC2FullAccess", "/", "Provides full access to Amazon EC2."},
	{"AmazonEC2ReadOnlyAccess", "/", "Provides read only access to Amazon EC2."},
	{"AmazonVPCFullAccess", "/", "Provides full access to Amazon VPC."},
	{"AmazonVPCReadOnlyAccess", "/", "Provides read only access to Amazon VPC."},
	{"ElasticLoadBalancingFullAccess", "/", "Provides full access to Elastic Load Balancing."},
	{"ElasticLoadBalancingReadOnly", "/", "Provides read only access to Elastic Load Balancing and its dependencies."},
	{"AutoScalingFullAccess", "/", "Provides full access to Auto Scaling."},
	{"AutoScalingReadOnlyAccess", "/", "Provides read-only access to Auto Scaling."},
	{"CloudWatchFullAccess", "/", "Provides full access to CloudWatch."},
	{"CloudWatchReadOnlyAccess", "/", "Provides read only access to CloudWatch."},
	{"CloudWatchAgentServerPolicy", "/", "Permissions required to use the CloudWatch agent on servers."},
	{"AmazonSSMManagedInstanceCore", "/", "Enables an instance to use the core functionality of Systems Manager."},
	{"AWSLambdaBasicExecutionRole", "/service-role/", "Provides write permissions to CloudWatch Logs."},
}

// created is the fixed creation (and update) date of every shipped policy.
var created = time.Date(2015, time.February, 6, 18, 40, 0, 0, time.UTC)

// idAlphabet is the alphabet of IAM unique IDs.
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// stableID derives a policy ID from its name: ANPA + 17 characters of
// SHA-256(name), so it never changes.
func stableID(name string) string {
	sum := sha256.Sum256([]byte("nimbus aws managed policy " + name))
	b := make([]byte, 17)
	for i := range b {
		b[i] = idAlphabet[int(sum[i])%len(idAlphabet)]
	}
	return "ANPA" + string(b)
}

func (e entry) policy() Policy {
	doc, err := documents.ReadFile("documents/" + e.name + ".json")
	if err != nil {
		// The table and the embedded files are checked by TestCatalog.
		panic("awsmanaged: missing document for " + e.name)
	}
	return Policy{
		Name:        e.name,
		Path:        e.path,
		ARN:         ARNPrefix + e.path + e.name,
		ID:          stableID(e.name),
		Description: e.description,
		Document:    string(doc),
		CreateDate:  created,
		UpdateDate:  created,
	}
}

// IsAWSManaged reports whether arn names a policy in the AWS namespace
// (shipped or not).
func IsAWSManaged(arn string) bool { return strings.HasPrefix(arn, ARNPrefix+"/") }

// Lookup returns the shipped policy with this ARN.
func Lookup(arn string) (Policy, bool) {
	if !IsAWSManaged(arn) {
		return Policy{}, false
	}
	for _, e := range table {
		if ARNPrefix+e.path+e.name == arn {
			return e.policy(), true
		}
	}
	return Policy{}, false
}

// All returns every shipped policy, sorted by name.
func All() []Policy {
	out := make([]Policy, 0, len(table))
	for _, e := range table {
		out = append(out, e.policy())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
