package s3

import (
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
)

// bucketGets are the bucket subresources read with GET: the operation's
// name (for metrics), and its handler.
var bucketGets = []struct {
	param, action string
	fn            op
}{
	{"location", "GetBucketLocation", getBucketLocation},
	{"acl", "GetBucketAcl", getBucketAcl},
	{"versioning", "GetBucketVersioning", getBucketVersioning},
	{"accelerate", "GetBucketAccelerateConfiguration", bucketDoc("s3:GetAccelerateConfiguration", `<AccelerateConfiguration xmlns="`+xmlns+`"/>`)},
	{"requestPayment", "GetBucketRequestPayment", bucketDoc("s3:GetBucketRequestPayment", `<RequestPaymentConfiguration xmlns="`+xmlns+`"><Payer>BucketOwner</Payer></RequestPaymentConfiguration>`)},
	{"logging", "GetBucketLogging", bucketDoc("s3:GetBucketLogging", `<BucketLoggingStatus xmlns="`+xmlns+`"/>`)},
	{"tagging", "GetBucketTagging", getBucketTagging},
	{"cors", "GetBucketCors", getBucketCors},
	{"website", "GetBucketWebsite", bucketMissing("s3:GetBucketWebsite", "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration")},
	{"policy", "GetBucketPolicy", getBucketPolicy},
	{"lifecycle", "GetBucketLifecycleConfiguration", getBucketLifecycle},
	{"replication", "GetBucketReplication", bucketMissing("s3:GetReplicationConfiguration", "ReplicationConfigurationNotFoundError", "The replication configuration was not found")},
	{"encryption", "GetBucketEncryption", getBucketEncryption},
	{"object-lock", "GetObjectLockConfiguration", getObjectLockConfiguration},
	{"publicAccessBlock", "GetPublicAccessBlock", getPublicAccessBlock},
	{"uploads", "ListMultipartUploads", listMultipartUploads},
	{"versions", "ListObjectVersions", listObjectVersions},
	{"ownershipControls", "GetBucketOwnershipControls", getBucketOwnershipControls},
	{"policyStatus", "GetBucketPolicyStatus", getBucketPolicyStatus},
	{"notification", "GetBucketNotificationConfiguration", nil},
	{"analytics", "GetBucketAnalyticsConfiguration", nil},
	{"metrics", "GetBucketMetricsConfiguration", nil},
	{"inventory", "GetBucketInventoryConfiguration", nil},
	{"intelligent-tiering", "GetBucketIntelligentTieringConfiguration", nil},
	{"session", "CreateSession", nil},
}

// bucketWrites are bucket subresources written with PUT, DELETE or POST
// that are not implemented (those that are, and DELETE of versioning and
// object-lock, which S3 does not have, are routed before this table is
// consulted).
var bucketWrites = map[string]string{
	"versioning": "BucketVersioning", "accelerate": "BucketAccelerateConfiguration",
	"requestPayment": "BucketRequestPayment", "logging": "BucketLogging",
	"website": "BucketWebsite", "replication": "BucketReplication", "object-lock": "ObjectLockConfiguration",
	"notification": "BucketNotificationConfiguration", "analytics": "BucketAnalyticsConfiguration",
	"metrics": "BucketMetricsConfiguration", "inventory": "BucketInventoryConfiguration",
	"intelligent-tiering": "BucketIntelligentTieringConfiguration",
}

// objectSubresources are object subresources not implemented (tagging,
// acl, retention, legal-hold and multipart are routed before this table
// is consulted).
var objectSubresources = map[string]string{
	"attributes": "ObjectAttributes", "torrent": "ObjectTorrent", "restore": "RestoreObject", "select": "SelectObjectContent",
}

// objectLockOps are the object lock subresources of objects.
var objectLockOps = []struct {
	param, name string
	get, put    op
}{
	{"retention", "ObjectRetention", getObjectRetention, putObjectRetention},
	{"legal-hold", "ObjectLegalHold", getObjectLegalHold, putObjectLegalHold},
}

// route picks the operation for a request from its method, address and
// query subresources.
func route(r *http.Request, a Address) (string, op) {
	q := r.URL.Query()
	has := func(k string) bool { _, ok := q[k]; return ok }
	ni := func(action string) (string, op) {
		return action, func(*request) error { return notImplemented(action) }
	}
	switch {
	case r.Method == http.MethodOptions && a.Bucket != "":
		return "PreflightRequest", preflight
	case a.Bucket == "":
		if r.Method == http.MethodGet {
			return "ListBuckets", listBuckets
		}
		return "", methodNotAllowed
	case a.Key == "":
		switch r.Method {
		case http.MethodGet:
			for _, g := range bucketGets {
				if has(g.param) {
					if g.fn == nil {
						return ni(g.action)
					}
					return g.action, g.fn
				}
			}
			if q.Get("list-type") == "2" {
				return "ListObjectsV2", listObjectsV2
			}
			return "ListObjects", listObjectsV1
		case http.MethodHead:
			return "HeadBucket", headBucket
		case http.MethodPut, http.MethodDelete:
			verb := "Put"
			if r.Method == http.MethodDelete {
				verb = "Delete"
			}
			if has("policy") {
				if r.Method == http.MethodPut {
					return "PutBucketPolicy", putBucketPolicy
				}
				return "DeleteBucketPolicy", deleteBucketPolicy
			}
			if has("cors") {
				if r.Method == http.MethodPut {
					return "PutBucketCors", putBucketCors
				}
				return "DeleteBucketCors", deleteBucketCors
			}
			if has("versioning") && r.Method == http.MethodPut {
				return "PutBucketVersioning", putBucketVersioning
			}
			if has("object-lock") && r.Method == http.MethodPut {
				return "PutObjectLockConfiguration", putObjectLockConfiguration
			}
			if has("encryption") {
				if r.Method == http.MethodPut {
					return "PutBucketEncryption", putBucketEncryption
				}
				return "DeleteBucketEncryption", deleteBucketEncryption
			}
			if has("lifecycle") {
				if r.Method == http.MethodPut {
					return "PutBucketLifecycleConfiguration", putBucketLifecycle
				}
				return "DeleteBucketLifecycle", deleteBucketLifecycle
			}
			if has("tagging") {
				if r.Method == http.MethodPut {
					return "PutBucketTagging", putBucketTagging
				}
				return "DeleteBucketTagging", deleteBucketTagging
			}
			if name, fn := bucketAccessWrite(r.Method, has); fn != nil {
				return name, fn
			}
			for k := range q {
				if name, ok := bucketWrites[k]; ok {
					return ni(verb + name)
				}
			}
			if r.Method == http.MethodPut {
				return "CreateBucket", createBucket
			}
			return "DeleteBucket", deleteBucket
		case http.MethodPost:
			if has("delete") {
				return "DeleteObjects", deleteObjects
			}
			return "PostObject", postObject
		}
		return "", methodNotAllowed
	}
	if has("uploadId") || has("uploads") {
		switch {
		case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" && has("uploadId"):
			return "UploadPartCopy", uploadPartCopy
		case r.Method == http.MethodPut && has("uploadId"):
			return "UploadPart", uploadPart
		case r.Method == http.MethodPost && has("uploads"):
			return "CreateMultipartUpload", createMultipartUpload
		case r.Method == http.MethodPost && has("uploadId"):
			return "CompleteMultipartUpload", completeMultipartUpload
		case r.Method == http.MethodDelete && has("uploadId"):
			return "AbortMultipartUpload", abortMultipartUpload
		case r.Method == http.MethodGet && has("uploadId"):
			return "ListParts", listParts
		}
		return "", methodNotAllowed
	}
	if has("tagging") {
		switch r.Method {
		case http.MethodGet:
			return "GetObjectTagging", getObjectTagging
		case http.MethodPut:
			return "PutObjectTagging", putObjectTagging
		case http.MethodDelete:
			return "DeleteObjectTagging", deleteObjectTagging
		}
		return "", methodNotAllowed
	}
	if name, fn := objectACLRoute(r.Method, has); fn != nil {
		return name, fn
	}
	for _, l := range objectLockOps {
		if has(l.param) {
			switch r.Method {
			case http.MethodGet:
				return "Get" + l.name, l.get
			case http.MethodPut:
				return "Put" + l.name, l.put
			}
			return "", methodNotAllowed
		}
	}
	for k := range q {
		if name, ok := objectSubresources[k]; ok {
			switch r.Method {
			case http.MethodGet:
				return ni("Get" + name)
			case http.MethodPut:
				return ni("Put" + name)
			case http.MethodDelete:
				return ni("Delete" + name)
			default:
				return ni(name)
			}
		}
	}
	switch r.Method {
	case http.MethodGet:
		return "GetObject", getObject
	case http.MethodHead:
		return "HeadObject", headObject
	case http.MethodPut:
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			return "CopyObject", copyObject
		}
		return "PutObject", putObject
	case http.MethodDelete:
		return "DeleteObject", deleteObject
	}
	return "", methodNotAllowed
}

func methodNotAllowed(q *request) error {
	return awserr.New(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
}
