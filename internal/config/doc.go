// Package config is the typed configuration of a nimbus process and the only
// reader of NIMBUS_* environment variables and config files.
//
// Precedence, highest first: command-line flags, NIMBUS_* environment
// variables, the YAML config file (--config / NIMBUS_CONFIG), built-in
// defaults. Every setting has one name used in all four places: the flag
// --data-dir, the env NIMBUS_DATA_DIR and the file key data_dir.
//
// Load validates everything and returns an error that names the offending
// setting and where it came from; it never exits, logs or touches the
// network or the data directory.
package config
