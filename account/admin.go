package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// listKey is the tenant's user list: a sorted set whose members,
// "<created ms, 13 digits>:<uid>" at score 0, sort by creation time.
func listKey(tid string) string { return "foyer:t:{" + tid + "}:users" }

func listMember(u *User) string {
	return fmt.Sprintf("%013d:%s", u.CreatedAt.UnixMilli(), u.ID)
}

// deleteScript removes a user, every index that still points at it and
// its list entry, if the user is still at the version read.
//
//	KEYS[1] user; KEYS[2] user list; KEYS[3..] indexes.
//	ARGV[1] version, ARGV[2] uid, ARGV[3] list member.
//
// Answers 0, or 2 on a version mismatch.
var deleteScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then return 2 end
for i = 3, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[2] then redis.call('DEL', KEYS[i]) end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[3])
return 0`)

// Delete removes a user with every unique index (username, email, phone,
// WebAuthn handle and credential ids) in one atomic step; the MFA factors
// and password hash live in the user document and go with it. It answers
// the deleted user.
func (s *Store) Delete(ctx context.Context, tid, uid string) (*User, error) {
	for range 32 {
		u, v, err := s.get(ctx, tid, uid)
		if err != nil {
			return nil, err
		}
		keys := []string{userKey(tid, uid), listKey(tid)}
		for _, ix := range u.indexes() {
			keys = append(keys, indexKey(tid, ix[0], ix[1]))
		}
		res, err := deleteScript.Run(ctx, s.rdb, keys, strconv.FormatInt(v, 10), uid, listMember(u)).Int64()
		if err != nil {
			return nil, fmt.Errorf("%w: delete user: %w", ErrUnavailable, err)
		}
		if res == 0 {
			return u, nil
		}
	}
	return nil, ErrConflict
}

// ErrCursor is an after cursor that is not one List gave.
var ErrCursor = errors.New("account: malformed cursor")

// Page is one page of users, oldest first; Next, when set, continues it.
type Page struct {
	Users []*User
	Next  string
}

// List pages through a tenant's users by creation time. A search keeps
// users whose id, username, email or phone contains it (case-insensitive);
// one call examines at most scanLimit users, so a rare match may come back
// as an empty page with a Next cursor.
func (s *Store) List(ctx context.Context, tid, search, after string, limit int) (Page, error) {
	const scanLimit = 2000
	start := "-"
	if after != "" {
		if !validMember(after) {
			return Page{}, ErrCursor
		}
		start = "(" + after
	}
	search = strings.ToLower(search)
	var p Page
	p.Users = []*User{}
	scanned := 0
	for scanned < scanLimit {
		members, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: listKey(tid), Start: start, Stop: "+", ByLex: true, Count: 100}).Result()
		if err != nil {
			return Page{}, fmt.Errorf("%w: list users: %w", ErrUnavailable, err)
		}
		if len(members) == 0 {
			return p, nil
		}
		users, err := s.getMany(ctx, tid, members)
		if err != nil {
			return Page{}, err
		}
		for i, u := range users {
			scanned++
			if u != nil && matches(u, search) {
				p.Users = append(p.Users, u)
				if len(p.Users) == limit {
					if i < len(members)-1 || len(members) == 100 {
						p.Next = members[i]
					}
					return p, nil
				}
			}
		}
		start = "(" + members[len(members)-1]
		if len(members) < 100 {
			return p, nil
		}
	}
	p.Next = start[1:]
	return p, nil
}

func validMember(m string) bool {
	ms, uid, ok := strings.Cut(m, ":")
	if !ok || len(ms) != 13 || len(uid) != 36 {
		return false
	}
	_, err := strconv.ParseUint(ms, 10, 64)
	return err == nil
}

// getMany reads the users of list members in one pipeline; a user deleted
// meanwhile is nil.
func (s *Store) getMany(ctx context.Context, tid string, members []string) ([]*User, error) {
	cmds := make([]*redis.SliceCmd, len(members))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range members {
			_, uid, _ := strings.Cut(m, ":")
			cmds[i] = p.HMGet(ctx, userKey(tid, uid), "doc")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("%w: list users: %w", ErrUnavailable, err)
	}
	out := make([]*User, len(members))
	for i, c := range cmds {
		doc, ok := c.Val()[0].(string)
		if !ok {
			continue
		}
		var u User
		if err := json.Unmarshal([]byte(doc), &u); err != nil {
			return nil, fmt.Errorf("account: corrupt user: %w", err)
		}
		out[i] = &u
	}
	return out, nil
}

func matches(u *User, search string) bool {
	if search == "" {
		return true
	}
	for _, f := range []string{u.ID, u.Username, u.PrimaryEmail, u.PrimaryPhone} {
		if strings.Contains(strings.ToLower(f), search) {
			return true
		}
	}
	return false
}
