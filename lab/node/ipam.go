package node

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
)

// ErrPoolExhausted means every address of the pod CIDR is in use.
var ErrPoolExhausted = errors.New("no free pod IP left in the pod CIDR")

// IPAM hands out pod IPs from one CIDR. It skips the network and broadcast
// addresses and goes round-robin (the next address after the last one handed
// out), so a freed address is not reused at once while conntrack or a policy
// engine may still remember it. What is in use comes from the pod records
// (see Store), so allocations survive a restart of the agent.
type IPAM struct {
	mu     sync.Mutex
	prefix netip.Prefix
	used   map[netip.Addr]string // address -> pod UID
	last   netip.Addr
}

// NewIPAM returns an allocator for cidr, e.g. "10.244.0.0/24" (IPv4, /30 or larger).
func NewIPAM(cidr string) (*IPAM, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("pod CIDR %q: %w", cidr, err)
	}
	if !p.Addr().Is4() || p.Bits() > 30 {
		return nil, fmt.Errorf("pod CIDR %q: want an IPv4 prefix of /30 or larger, e.g. 10.244.0.0/24", cidr)
	}
	p = p.Masked()
	return &IPAM{prefix: p, used: map[netip.Addr]string{}, last: p.Addr()}, nil
}

// Prefix is the pod CIDR.
func (a *IPAM) Prefix() netip.Prefix { return a.prefix }

// Reserve marks ip as used by uid (used when loading records at start).
func (a *IPAM) Reserve(ip netip.Addr, uid string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.usable(ip) {
		return fmt.Errorf("pod IP %s is not a host address of %s", ip, a.prefix)
	}
	if owner, ok := a.used[ip]; ok && owner != uid {
		return fmt.Errorf("pod IP %s is already used by pod %s", ip, owner)
	}
	a.used[ip] = uid
	return nil
}

// Allocate returns uid's address, handing out a new one if it has none.
func (a *IPAM) Allocate(uid string) (netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for ip, owner := range a.used {
		if owner == uid {
			return ip, nil
		}
	}
	ip := a.last
	for {
		ip = ip.Next()
		if !a.prefix.Contains(ip) {
			ip = a.prefix.Addr().Next()
		}
		if a.usable(ip) {
			if _, taken := a.used[ip]; !taken {
				a.used[ip] = uid
				a.last = ip
				return ip, nil
			}
		}
		if ip == a.last {
			return netip.Addr{}, ErrPoolExhausted
		}
	}
}

// Release frees uid's address, if it has one.
func (a *IPAM) Release(uid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for ip, owner := range a.used {
		if owner == uid {
			delete(a.used, ip)
		}
	}
}

// usable is true for host addresses of the prefix: neither the network nor
// the broadcast address.
func (a *IPAM) usable(ip netip.Addr) bool {
	if !a.prefix.Contains(ip) || ip == a.prefix.Addr() {
		return false
	}
	return a.prefix.Contains(ip.Next())
}
