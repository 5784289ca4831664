// Package app is the composition root: it turns a config.Server into
// running components (store, secrets, accounts, services, the API gateway,
// HTTP listeners) and owns their start and stop order. It is the only place
// that chooses implementations; everything below receives its dependencies.
package app
