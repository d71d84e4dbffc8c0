package io.xlatbox.appliance.security;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.authentication.dao.DaoAuthenticationProvider;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.session.SessionRegistry;
import org.springframework.security.core.session.SessionRegistryImpl;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.DelegatingPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandlerImpl;
import org.springframework.security.web.access.RequestMatcherDelegatingAccessDeniedHandler;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.authentication.DelegatingAuthenticationEntryPoint;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.authentication.UsernamePasswordAuthenticationFilter;
import org.springframework.security.web.authentication.preauth.PreAuthenticatedAuthenticationToken;
import org.springframework.security.web.authentication.session.SessionLimit;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter.ReferrerPolicy;
import org.springframework.security.web.savedrequest.HttpSessionRequestCache;
import org.springframework.security.web.session.HttpSessionEventPublisher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcherEntry;
import org.springframework.security.web.util.matcher.RequestMatchers;

import static org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher.pathPattern;

/**
 * Who may do what. One filter chain:
 * <ul>
 * <li>public: {@code /setup}, {@code /login}, static assets, and {@code POST /api/v1/setup} (it needs the setup
 *     code); nothing else, not even {@code /actuator/**} or the OpenAPI document;</li>
 * <li>pages: a logged-in session (form login, authority {@code ROLE_ADMIN}); unauthenticated visitors go to
 *     {@code /login}, or to {@code /setup} while there is no account;</li>
 * <li>{@code /api/v1/**} and {@code /actuator/**}: an API token ({@code Authorization: Bearer}) or the browser session;
 *     GET needs {@code SCOPE_read}, anything else {@code SCOPE_write}; refusals are problem+json;</li>
 * <li>{@code /api/v1/account/**} (the admin's own password): the logged-in session only, never a token;</li>
 * <li>CSRF on every unsafe request with a session: forms carry the token Thymeleaf adds, JavaScript sends the
 *     {@code XSRF-TOKEN} cookie back in {@code X-XSRF-TOKEN}; bearer requests are exempt, since a browser never
 *     adds that header by itself.</li>
 * </ul>
 */
@Configuration
@SecurityScheme(name = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer", bearerFormat = "xlb_...",
        description = "An API token made on the API tokens page or with POST /api/v1/tokens. Read tokens may GET; "
                + "write tokens may also change. A logged-in browser may call the API too, with its session cookie "
                + "and the XSRF-TOKEN cookie's value in the X-XSRF-TOKEN header.")
@OpenAPIDefinition(security = @SecurityRequirement(name = "bearer"))
public class SecurityConfig {
    public static final String READ = "SCOPE_read";
    public static final String WRITE = "SCOPE_write";
    static final String[] PUBLIC = {"/login", "/setup", "/css/**", "/js/**", "/webjars/**", "/images/**",
        "/favicon.ico"};
    /** The REST API and actuator; {@code /api/docs} (Swagger UI) is a page. */
    static final RequestMatcher API = RequestMatchers.anyOf(pathPattern("/api/v1/**"), pathPattern("/actuator/**"));
    /** API calls for the logged-in admin only: a token must not be able to change the password it hides behind. */
    static final RequestMatcher SESSION_ONLY = pathPattern("/api/v1/account/**");
    /** No inline scripts: page JavaScript lives in /js/*.js. Inline styles are allowed (chart libraries set them). */
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
            + "base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /** bcrypt at strength 12 (about a quarter second), stored as {@code {bcrypt}...} so that it can change later. */
    @Bean
    public PasswordEncoder passwordEncoder() {
        return new DelegatingPasswordEncoder("bcrypt", Map.of("bcrypt", new BCryptPasswordEncoder(12)));
    }

    /** The logged-in sessions per account, so that a password change can log out the others. */
    @Bean
    public SessionRegistry sessionRegistry() {
        return new SessionRegistryImpl();
    }

    /** Tells the session registry about ended sessions and changed session ids (Boot registers the listener). */
    @Bean
    public HttpSessionEventPublisher httpSessionEventPublisher() {
        return new HttpSessionEventPublisher();
    }

    @Bean
    public SecurityFilterChain filterChain(HttpSecurity http, AccountService accounts, PasswordEncoder encoder,
                                           LoginThrottle throttle, AuditLog audit, TokenService tokens,
                                           SetupService setup, ApiSecurityErrors apiErrors, SessionRegistry sessions,
                                           @Value("${xlatbox.tls.enabled:true}") boolean tls) throws Exception {
        DaoAuthenticationProvider passwords = new DaoAuthenticationProvider(accounts);
        passwords.setPasswordEncoder(encoder);
        passwords.setUserDetailsPasswordService(accounts);

        // Bearer tokens: Spring's generic AuthenticationFilter with a converter for the header; it stores nothing
        // in the session, and lets the request go on once authenticated.
        AuthenticationManager byToken = a -> tokens.authenticate((String) a.getCredentials());
        AuthenticationFilter bearer = new AuthenticationFilter(byToken,
                req -> hasBearer(req) ? new PreAuthenticatedAuthenticationToken("bearer", bearerToken(req)) : null);
        bearer.setRequestMatcher(API);
        bearer.setSuccessHandler((req, res, a) -> { });
        bearer.setFailureHandler(apiErrors::commence);

        CookieCsrfTokenRepository csrfTokens = CookieCsrfTokenRepository.withHttpOnlyFalse(); // JS must read it
        csrfTokens.setCookieCustomizer(c -> c.secure(tls).sameSite("Strict"));

        HttpSessionRequestCache pagesOnly = new HttpSessionRequestCache(); // after login, back to the page, not JSON
        pagesOnly.setRequestMatcher(RequestMatchers.allOf(pathPattern(HttpMethod.GET, "/**"),
                RequestMatchers.not(API)));

        LoginUrlAuthenticationEntryPoint toLogin = new LoginUrlAuthenticationEntryPoint("/login");
        LoginUrlAuthenticationEntryPoint toSetup = new LoginUrlAuthenticationEntryPoint("/setup");
        DelegatingAuthenticationEntryPoint entryPoint = new DelegatingAuthenticationEntryPoint(
                (req, res, e) -> (setup.required() ? toSetup : toLogin).commence(req, res, e),
                List.of(new RequestMatcherEntry<>(API, apiErrors)));

        http.authenticationManager(new ProviderManager(new ThrottledLoginProvider(passwords, throttle, audit)))
                .authorizeHttpRequests(a -> a
                        .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
                        .requestMatchers(PUBLIC).permitAll()
                        .requestMatchers("/api/v1/setup").permitAll()
                        .requestMatchers(SESSION_ONLY).hasRole("ADMIN")
                        .requestMatchers(HttpMethod.GET, "/api/v1/**", "/actuator/**").hasAuthority(READ)
                        .requestMatchers(HttpMethod.HEAD, "/api/v1/**", "/actuator/**").hasAuthority(READ)
                        .requestMatchers("/api/v1/**", "/actuator/**").hasAuthority(WRITE)
                        .anyRequest().hasRole("ADMIN"))
                .addFilterBefore(bearer, UsernamePasswordAuthenticationFilter.class)
                .formLogin(f -> f.loginPage("/login").failureUrl("/login?error").defaultSuccessUrl("/", false))
                .logout(l -> l.logoutSuccessUrl("/login?logout").deleteCookies("JSESSIONID"))
                // Registers sessions, no limit. A session expired by a password change is logged out at its next
                // request, which then goes on unauthenticated: pages go to /login, the API answers 401.
                .sessionManagement(s -> s.sessionConcurrency(c -> c.maximumSessions(SessionLimit.UNLIMITED)
                        .sessionRegistry(sessions)
                        .expiredSessionStrategy(e -> e.getFilterChain().doFilter(e.getRequest(), e.getResponse()))))
                // spa(): the XSRF-TOKEN cookie is set on every response that lacks it, and the X-XSRF-TOKEN header
                // carries its plain value, while form fields carry Spring's masked (BREACH-safe) token. Exempt:
                // bearer calls, and the JSON setup, which has no session to abuse (the setup code is the proof).
                .csrf(c -> c.spa().csrfTokenRepository(csrfTokens)
                        .ignoringRequestMatchers(RequestMatchers.allOf(API, SecurityConfig::hasBearer),
                                pathPattern(HttpMethod.POST, "/api/v1/setup")))
                .requestCache(r -> r.requestCache(pagesOnly))
                .exceptionHandling(e -> e.authenticationEntryPoint(entryPoint)
                        .accessDeniedHandler(new RequestMatcherDelegatingAccessDeniedHandler(
                                new LinkedHashMap<>(Map.of(API, apiErrors)), new AccessDeniedHandlerImpl())))
                .headers(h -> h.contentSecurityPolicy(csp -> csp.policyDirectives(CSP))
                        .referrerPolicy(r -> r.policy(ReferrerPolicy.SAME_ORIGIN))
                        .httpStrictTransportSecurity(hsts -> hsts.includeSubDomains(false)));
        return http.build();
    }

    static boolean hasBearer(HttpServletRequest req) {
        String h = req.getHeader(HttpHeaders.AUTHORIZATION);
        return h != null && h.regionMatches(true, 0, "Bearer ", 0, 7);
    }

    private static String bearerToken(HttpServletRequest req) {
        return req.getHeader(HttpHeaders.AUTHORIZATION).substring(7).strip();
    }
}
