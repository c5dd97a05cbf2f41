// Package origin reads serialised web origins (RFC 6454 §6.1):
// scheme "://" host [":" port], which browsers send in the Origin header.
//
// Every state-changing call checks its Origin against the tenant's, so
// this runs several times per request; it cuts the string into parts
// without allocating, where net/url.Parse would build a URL each time.
package origin
