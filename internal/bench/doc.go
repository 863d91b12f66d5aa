// Package bench holds the messaging benchmarks behind docs/BENCHMARKS.md (`make bench`): the send
// API of the real app on the simulator, beside a bare Fiber handler measured in the same run as its
// ceiling, and end-to-end sends. Everything lives in its tests; this file only names the package.
package bench
