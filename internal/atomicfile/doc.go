// Package atomicfile writes files so that a crash or a power cut leaves
// either the old file or the complete new one under the final name, never
// a partial file: the data goes to a temporary file in the same folder,
// is synced, then renamed over the target, and the folder is synced.
package atomicfile
