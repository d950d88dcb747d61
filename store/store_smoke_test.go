package store

import (
	"context"
	"testing"
)

func TestOpenMigrates(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, _ := s.SchemaVersion(context.Background())
	if v != LatestSchemaVersion() || v == 0 {
		t.Fatalf("version %d", v)
	}
}
