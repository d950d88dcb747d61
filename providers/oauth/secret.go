// Package oauth holds the OAuth 2.0 pieces calsync's cloud providers share, built on
// golang.org/x/oauth2: the installed-app loopback sign-in (127.0.0.1 on a random port,
// PKCE S256, state check, browser opened when possible and the URL always shown), a token
// source that refreshes on demand and hands renewed tokens to a providers.SecretSaver,
// the stored secret format (token + granted scopes), and classification of token-endpoint
// errors into providers.Kind with a per-provider hook (Google reasons here by default;
// Entra AADSTS codes are plugged in by the Microsoft package through Classifier).
//
// Nothing here prints or returns a token, client secret, authorization code or PKCE
// verifier: errors are built from the provider's error code and sanitised description.
package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Secret is what calsync stores for an OAuth account: the token, plus the scopes the
// provider said it granted (which may be fewer than asked for). Its JSON field names match
// oauth2.Token's, so a bare oauth2.Token JSON also decodes.
type Secret struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitempty"`
	Granted      []string  `json:"granted_scopes,omitempty"`
}

// EncodeSecret serialises a token and its granted scopes for SecretSaver / the store.
func EncodeSecret(tok *oauth2.Token, granted []string) ([]byte, error) {
	if tok == nil {
		return nil, errors.New("oauth: no token to encode")
	}
	return json.Marshal(Secret{AccessToken: tok.AccessToken, TokenType: tok.TokenType,
		RefreshToken: tok.RefreshToken, Expiry: tok.Expiry, Granted: granted})
}

// DecodeSecret reads what EncodeSecret wrote (or a bare oauth2.Token JSON). The error
// never quotes the input.
func DecodeSecret(b []byte) (*oauth2.Token, []string, error) {
	var s Secret
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, nil, errors.New("oauth: stored token is not valid JSON")
	}
	if s.AccessToken == "" && s.RefreshToken == "" {
		return nil, nil, errors.New("oauth: stored token holds neither an access nor a refresh token")
	}
	return &oauth2.Token{AccessToken: s.AccessToken, TokenType: s.TokenType,
		RefreshToken: s.RefreshToken, Expiry: s.Expiry}, s.Granted, nil
}

// GrantedScopes reads the space-separated `scope` field of a token response. When the
// provider left it out, RFC 6749 §5.1 says the grant equals the request, so asked is returned.
func GrantedScopes(tok *oauth2.Token, asked []string) []string {
	if tok == nil {
		return nil
	}
	if s, ok := tok.Extra("scope").(string); ok {
		return strings.Fields(s)
	}
	return append([]string(nil), asked...)
}

// String keeps tokens out of logs when a Secret is printed by accident.
func (s Secret) String() string {
	return fmt.Sprintf("oauth.Secret{expiry: %s, refresh token: %t, granted: %v}",
		s.Expiry.Format(time.RFC3339), s.RefreshToken != "", s.Granted)
}

// GoString is String, for %#v.
func (s Secret) GoString() string { return s.String() }

// String keeps tokens out of logs when a Grant is printed by accident.
func (g *Grant) String() string {
	if g == nil {
		return "oauth.Grant(nil)"
	}
	return fmt.Sprintf("oauth.Grant{granted: %v, asked: %v}", g.Granted, g.Asked)
}

// GoString is String, for %#v.
func (g *Grant) GoString() string { return g.String() }
