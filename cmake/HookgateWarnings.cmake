# Warnings as errors on the project's own targets only (never on system headers).
function(hookgate_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
                                           -Wconversion -Wno-sign-conversion)
  # GCC 12's -Wrestrict misfires inside libstdc++'s std::string concatenation at -O2/-O3 (GCC bug
  # 105329, fixed in GCC 13): it stays a warning there instead of failing the Release build.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-error=restrict)
  endif()
endfunction()
