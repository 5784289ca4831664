package ec2

import (
	"cmp"
	"context"
	"net/http"
	"slices"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/vpc"
)

func (h handlers) tagOps() []protocol.Operation {
	return []protocol.Operation{
		protocol.Op("CreateTags", h.createTags),
		protocol.Op("DeleteTags", h.deleteTags),
		protocol.Op("DescribeTags", h.describeTags),
	}
}

// Set is an EC2 list that is always present in a response, empty or not
// (<ipRanges/>), as EC2 sends those; lists EC2 leaves out when empty
// (a resource's tagSet) are `xml:"x>item,omitempty"` slices instead.
type Set[T any] struct {
	Items []T `xml:"item"`
}

// Tag is a request's Tag.N.
type Tag struct {
	Key   string `query:"Key"`
	Value string `query:"Value"`
}

// TagSpecification is a request's TagSpecification.N.
type TagSpecification struct {
	ResourceType string `query:"ResourceType"`
	Tags         []Tag  `query:"Tag"`
}

// TagItem is one tag of a resource's tagSet.
type TagItem struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// tagSet renders tags sorted by key (nil when there are none: EC2 leaves
// tagSet out).
func tagSet(tags map[string]string) []TagItem {
	if len(tags) == 0 {
		return nil
	}
	out := make([]TagItem, 0, len(tags))
	for k, v := range tags {
		out = append(out, TagItem{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b TagItem) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

func invalidValue(format string, args ...any) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "InvalidParameterValue", format, args...)
}

// tagMap turns Tag.N into a map, refusing a key given twice.
func tagMap(tags []Tag) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		if _, dup := out[t.Key]; dup {
			return nil, invalidValue("Duplicate tag key '%s' specified.", t.Key)
		}
		out[t.Key] = t.Value
	}
	return out, nil
}

// specTags returns the tags a create call's TagSpecification.N gives the
// resource type it creates; a specification of another type is an error,
// as on EC2.
func specTags(specs []TagSpecification, resourceType string) (map[string]string, error) {
	var all []Tag
	for _, s := range specs {
		if s.ResourceType != resourceType {
			return nil, invalidValue("'%s' is not a valid taggable resource type for this operation.", s.ResourceType)
		}
		all = append(all, s.Tags...)
	}
	return tagMap(all)
}

// CreateTagsInput is CreateTags' request.
type CreateTagsInput struct {
	ResourceIDs []string `query:"ResourceId,required"`
	Tags        []Tag    `query:"Tag,required"`
	DryRun      bool     `query:"DryRun"`
}

// CreateTagsOutput is CreateTags' (empty) response.
type CreateTagsOutput struct{}

func (h handlers) createTags(ctx context.Context, in *CreateTagsInput) (*CreateTagsOutput, error) {
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	if err := h.net.CreateTags(ctx, in.ResourceIDs, tags); err != nil {
		return nil, err
	}
	return &CreateTagsOutput{}, nil
}

// DeleteTag is DeleteTags' Tag.N: a key, and a value the tag must have to
// be deleted (absent: any value).
type DeleteTag struct {
	Key   string  `query:"Key"`
	Value *string `query:"Value"`
}

// DeleteTagsInput is DeleteTags' request.
type DeleteTagsInput struct {
	ResourceIDs []string    `query:"ResourceId,required"`
	Tags        []DeleteTag `query:"Tag"`
	DryRun      bool        `query:"DryRun"`
}

// DeleteTagsOutput is DeleteTags' (empty) response.
type DeleteTagsOutput struct{}

func (h handlers) deleteTags(ctx context.Context, in *DeleteTagsInput) (*DeleteTagsOutput, error) {
	keys := make(map[string]*string, len(in.Tags))
	for _, t := range in.Tags {
		if _, dup := keys[t.Key]; dup {
			return nil, invalidValue("Duplicate tag key '%s' specified.", t.Key)
		}
		keys[t.Key] = t.Value
	}
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	if err := h.net.DeleteTags(ctx, in.ResourceIDs, keys); err != nil {
		return nil, err
	}
	return &DeleteTagsOutput{}, nil
}

// DescribeTagsInput is DescribeTags' request.
type DescribeTagsInput struct {
	Filters    []Filter `query:"Filter"`
	MaxResults *int     `query:"MaxResults"`
	NextToken  string   `query:"NextToken"`
	DryRun     bool     `query:"DryRun"`
}

// TagDescription is one tag of DescribeTags.
type TagDescription struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

// DescribeTagsOutput is DescribeTags' response.
type DescribeTagsOutput struct {
	Tags      Set[TagDescription] `xml:"tagSet"`
	NextToken string              `xml:"nextToken,omitempty"`
}

func (h handlers) describeTags(ctx context.Context, in *DescribeTagsInput) (*DescribeTagsOutput, error) {
	tags, err := h.net.DescribeTags(ctx, filters(in.Filters))
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, dryRun()
	}
	tags, next, err := page(tags, func(t vpc.TagInfo) string { return t.ResourceID + "\x00" + t.Key }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeTagsOutput{Tags: Set[TagDescription]{Items: make([]TagDescription, 0, len(tags))}, NextToken: next}
	for _, t := range tags {
		out.Tags.Items = append(out.Tags.Items, TagDescription{ResourceID: t.ResourceID, ResourceType: t.ResourceType, Key: t.Key, Value: t.Value})
	}
	return out, nil
}
