package chat

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync/atomic"
	"time"
)

// Internal ids are 24 hex characters, like Amity's (MongoDB ObjectIDs): 4 bytes of
// seconds, 5 random bytes fixed per process, and a 3-byte counter. They sort by creation
// time, which keeps keyset paging on them stable, and never collide within a process.
var (
	idProcess [5]byte
	idCounter atomic.Uint32
)

func init() {
	var seed [4]byte
	rand.Read(idProcess[:])
	rand.Read(seed[:])
	idCounter.Store(binary.BigEndian.Uint32(seed[:]))
}

// NewID returns a fresh 24-hex internal id.
func NewID() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(time.Now().Unix()))
	copy(b[4:9], idProcess[:])
	c := idCounter.Add(1)
	b[9], b[10], b[11] = byte(c>>16), byte(c>>8), byte(c)
	return hex.EncodeToString(b[:])
}

// IsID tells whether s has the shape of an internal id.
func IsID(s string) bool {
	if len(s) != 24 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
