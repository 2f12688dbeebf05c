# Shared by the setup/ scripts (sourced, not run).
STRAIT_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export STRAIT_HOME

# Prints the JAVA_HOME of a JDK 25 or newer: $JAVA_HOME first, then /usr/lib/jvm/* (STRAIT_JVM_DIR overrides
# that folder, which is how the tests simulate a machine without JDK 25). Fails with one clear line.
find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" "${STRAIT_JVM_DIR:-/usr/lib/jvm}"/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  echo "strait: no JDK 25 found (looked at \$JAVA_HOME and /usr/lib/jvm/*); install one (e.g. Temurin 25) and set JAVA_HOME" >&2
  return 1
}

# The JVM flags, from the one file that holds them.
jvm_flags() {
  sed -n 's/^strait.jvm.flags=//p' "$STRAIT_HOME/setup/jvm.properties"
}

need_root() {
  [ "$(id -u)" = 0 ] || { echo "strait: $1 must run as root (DPDK and network namespaces need it); try: sudo $0 ${*:2}" >&2; exit 1; }
}

# STRAIT_DPDK_PC names the pkg-config package to look for (tests point it at a missing one).
have_dpdk() {
  pkg-config --exists "${STRAIT_DPDK_PC:-libdpdk}" 2>/dev/null && [ -n "$(ldconfig -p 2>/dev/null | grep 'librte_eal\.so')" ]
}

mvn_cmd() {
  local jdk
  jdk=$(find_jdk) || return 1
  command -v mvn >/dev/null || { echo "strait: Maven (mvn) is missing; run setup/install" >&2; return 1; }
  JAVA_HOME="$jdk" mvn -B -q "$@"
}
