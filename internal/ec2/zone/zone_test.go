package zone

import "testing"

func TestID(t *testing.T) {
	for az, want := range map[string]string{"us-east-1a": "use1-az1", "eu-west-3c": "euw3-az3", "ap-southeast-2b": "aps2-az2"} {
		if got := ID(az[:len(az)-1], az); got != want {
			t.Errorf("ID(%s) = %s, want %s", az, got, want)
		}
	}
}
